import { Effect, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { isMarked, isOwnedBy, robotDescription } from "../domain/Ownership.ts"
import { Critical } from "../domain/ReconcileError.ts"
import { Quay, type QuayRobot } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { RepositoryMissing } from "./errors.ts"
import type { Target } from "./Target.ts"

/**
 * Whether a robot read from Quay may be this object's: the operator's carry this object's mark; the original
 * controller's carry none (they are confirmed by their grant before they are read). Costs no call.
 */
const mayBeOurs = (ir: ImageRepository, target: Target, robot: QuayRobot): boolean =>
  isOwnedBy(robot.description, ir.metadata) || (target.robot.proof === "original" && !isMarked(robot.description))

const ours = (ir: ImageRepository, target: Target, robot: QuayRobot): Effect.Effect<QuayRobot, Critical> =>
  mayBeOurs(ir, target, robot)
    ? Effect.succeed(robot)
    : Effect.fail(
      new Critical({
        reason: "RobotNameTaken",
        message: `Quay robot '${target.robotShortName}' exists and is not marked as this ImageRepository's; it was not used`
      })
    )

/**
 * The push robot with its token and write permission on the repository. The name is deterministic, so
 * "already exists" means our own robot from an interrupted attempt: read it back (its mark says so) instead of
 * making another.
 */
export const obtainPushRobot = (ir: ImageRepository, target: Target) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const robot = yield* quay.createRobot(target.robotShortName, robotDescription(ir.metadata)).pipe(
      Effect.catchTag("QuayRobotAlreadyExists", () =>
        quay.getRobot(target.robotShortName).pipe(
          Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | Critical> =>
            // Deleted between the two calls: creating again is safe.
            Option.isNone(found)
              ? quay.createRobot(target.robotShortName, robotDescription(ir.metadata))
              : ours(ir, target, found.value)
          )
        )
      )
    )
    yield* quay.setPermission(target.repository, robot.name, "write")
    return robot
  })

/**
 * Re-creates a robot deleted behind the operator's back. Its permission needs the repository, and Quay answers a
 * grant on a missing one with a bare 500, so a missing repository is told apart first (provisioning re-creates it).
 */
const recreatePushRobot = (ir: ImageRepository, target: Target) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    if (Option.isNone(yield* quay.getRepository(target.repository))) {
      return yield* new RepositoryMissing({ repository: target.repository })
    }
    return yield* obtainPushRobot(ir, target)
  })

/** A fresh token for the push robot; a robot deleted behind the operator's back is recreated with its permission. */
export const regeneratePushRobot = (
  ir: ImageRepository,
  target: Target
): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | Critical, Quay> =>
  Effect.flatMap(Quay, (quay) =>
    quay
      .regenerateRobotToken(target.robotShortName)
      .pipe(Effect.catchTag("QuayNotFound", () => recreatePushRobot(ir, target)))
  )

/** The push robot's current token, for re-creating a lost Secret without rotating anything. */
export const currentPushRobot = (ir: ImageRepository, target: Target) =>
  Effect.flatMap(Quay, (quay) =>
    quay.getRobot(target.robotShortName).pipe(
      Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | Critical, Quay> =>
        Option.isNone(found) ? recreatePushRobot(ir, target) : ours(ir, target, found.value)
      )
    )
  )
