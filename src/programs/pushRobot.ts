import { Effect, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { robotDescription } from "../domain/Ownership.ts"
import { Quay, type QuayRobot } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { RepositoryMissing } from "./errors.ts"
import type { Target } from "./Target.ts"

/**
 * The push robot with its token and write permission on the repository. The name is deterministic, so
 * "already exists" means our own robot from an interrupted attempt: read it back instead of making another.
 */
export const obtainPushRobot = (ir: ImageRepository, target: Target) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const robot = yield* quay.createRobot(target.robotShortName, robotDescription(ir.metadata)).pipe(
      Effect.catchTag("QuayRobotAlreadyExists", () =>
        quay.getRobot(target.robotShortName).pipe(
          Effect.flatMap(
            Option.match({
              // Deleted between the two calls: creating again is safe.
              onNone: () => quay.createRobot(target.robotShortName, robotDescription(ir.metadata)),
              onSome: Effect.succeed
            })
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
): Effect.Effect<QuayRobot, QuayError | RepositoryMissing, Quay> =>
  Effect.flatMap(Quay, (quay) =>
    quay
      .regenerateRobotToken(target.robotShortName)
      .pipe(Effect.catchTag("QuayNotFound", () => recreatePushRobot(ir, target)))
  )

/** The push robot's current token, for re-creating a lost Secret without rotating anything. */
export const currentPushRobot = (ir: ImageRepository, target: Target) =>
  Effect.flatMap(Quay, (quay) =>
    quay.getRobot(target.robotShortName).pipe(
      Effect.flatMap(
        Option.match({
          onNone: () => recreatePushRobot(ir, target),
          onSome: Effect.succeed
        })
      )
    )
  )
