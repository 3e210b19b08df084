import { Effect, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { isMarked, isOwnedBy } from "../domain/Ownership.ts"
import type { Critical } from "../domain/ReconcileError.ts"
import { Quay, type QuayRobot } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { RepositoryMissing } from "./errors.ts"
import { isOurRepository, repositoryNotOurs, type StatusDamaged } from "./ownership.ts"
import { obtainRobot, usable } from "./robotAccount.ts"
import type { Target } from "./Target.ts"

/**
 * Whether a robot read from Quay may be this object's: the operator's carry this object's mark; the original
 * controller's carry none (they are confirmed by their grant before they are read). Costs no call.
 */
const mayBeOurs = (ir: ImageRepository, target: Target, robot: QuayRobot): boolean =>
  isOwnedBy(robot.description, ir.metadata) || (target.robot.proof === "original" && !isMarked(robot.description))

const ours = (ir: ImageRepository, target: Target, robot: QuayRobot): Effect.Effect<QuayRobot, Critical> =>
  usable(robot, mayBeOurs(ir, target, robot))

/**
 * The push robot with its token and write permission on the repository. The name is deterministic, so
 * "already exists" means our own robot from an interrupted attempt: read it back (its mark says so) instead of
 * making another.
 */
export const obtainPushRobot = (ir: ImageRepository, target: Target) =>
  obtainRobot(
    ir,
    { shortName: target.robotShortName, repository: target.repository, permission: "write" },
    { mayUse: (robot) => mayBeOurs(ir, target, robot) }
  )

/**
 * Re-creates a robot deleted behind the operator's back. Its permission needs the repository, and Quay answers a
 * grant on a missing one with a bare 500, so a missing repository is told apart first (provisioning re-creates it);
 * the same read shows whether the repository is this object's, since a grant is given only on its own. (An
 * original controller's robot gets here only after its grant confirmed the repository in this pass.)
 */
const recreatePushRobot = (ir: ImageRepository, target: Target) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const repository = yield* quay.getRepository(target.repository)
    if (Option.isNone(repository)) return yield* new RepositoryMissing({ repository: target.repository })
    if (!isOurRepository(ir, repository.value, target.robot.proof === "original")) {
      return yield* repositoryNotOurs(target)
    }
    return yield* obtainPushRobot(ir, target)
  })

/** A fresh token for the push robot; a robot deleted behind the operator's back is recreated with its permission. */
export const regeneratePushRobot = (
  ir: ImageRepository,
  target: Target
): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | StatusDamaged | Critical, Quay> =>
  Effect.flatMap(Quay, (quay) =>
    quay
      .regenerateRobotToken(target.robotShortName)
      .pipe(Effect.catchTag("QuayNotFound", () => recreatePushRobot(ir, target)))
  )

/** The push robot's current token, for re-creating a lost Secret without rotating anything. */
export const currentPushRobot = (ir: ImageRepository, target: Target) =>
  Effect.flatMap(Quay, (quay) =>
    quay.getRobot(target.robotShortName).pipe(
      Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | StatusDamaged | Critical, Quay> =>
        Option.isNone(found) ? recreatePushRobot(ir, target) : ours(ir, target, found.value)
      )
    )
  )
