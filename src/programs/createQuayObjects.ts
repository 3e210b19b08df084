import { Data, Effect, Either } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import type { Critical, Transient } from "../domain/ReconcileError.ts"
import type { RobotRole } from "../domain/RobotName.ts"
import type { Visibility } from "../domain/Visibility.ts"
import { Quay, type QuayRobot } from "../services/Quay.ts"
import { isQuayError } from "../services/QuayError.ts"
import { ensureRepository } from "./ensureRepository.ts"
import { fromQuay, fromQuayWhileProvisioning } from "./errors.ts"
import { createRoleRobot, grantRobot } from "./robotAccount.ts"
import { roles, type Target } from "./Target.ts"

/** Quay refused the repository: nothing of this object is left in Quay, and the object is to fail with `error`. */
export class RepositoryRefused extends Data.TaggedError("RepositoryRefused")<{ readonly error: Critical }> {}

/** Each role's robot, with its token, for the Secrets. */
export type Robots = Partial<Readonly<Record<RobotRole, QuayRobot>>>

const whileProvisioning = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchIf(effect, isQuayError, (e) => Effect.fail(fromQuayWhileProvisioning(e)))

/**
 * The repository, the robots (push; pull too for a component repository) and their permissions, in two Quay round
 * trips: the repository and the robots do not depend on each other and are created at once; the permissions need
 * both and follow. Every guarantee of doing it one by one holds:
 * - a crash leaves only objects with names this object derives, which the next attempt reuses;
 * - when Quay refuses the repository, the robots created next to it are deleted before the object fails; a robot
 *   whose creation did not answer is not given up on (the attempt is retried, finds it, and deletes it then);
 * - a robot refused (a name someone else holds) fails the object with its repository recorded, so its deletion
 *   removes what was created.
 */
export const createQuayObjects = (
  ir: ImageRepository,
  target: Target,
  visibility: Visibility
): Effect.Effect<Robots, Critical | Transient | RepositoryRefused, Quay> =>
  Effect.gen(function*() {
    const [repository, attempts] = yield* Effect.all([
      Effect.either(ensureRepository(ir, target, visibility)),
      Effect.forEach(
        roles(target),
        (credentials) =>
          Effect.map(Effect.either(whileProvisioning(createRoleRobot(ir, credentials))), (result) => ({ credentials, result })),
        { concurrency: "unbounded" }
      )
    ], { concurrency: "unbounded" })
    const created = attempts.flatMap((a) => (Either.isRight(a.result) ? [{ ...a, robot: a.result.right }] : []))
    const failures = attempts.flatMap((a) => (Either.isLeft(a.result) ? [a.result.left] : []))
    if (Either.isLeft(repository)) {
      const refusal = repository.left
      if (refusal._tag === "Transient") return yield* refusal
      const unanswered = failures.find((f) => f._tag === "Transient")
      if (unanswered !== undefined) return yield* unanswered
      const quay = yield* Quay
      yield* Effect.forEach(
        created,
        ({ robot }) => quay.deleteRobot(robot.shortName).pipe(Effect.mapError(fromQuay)),
        { concurrency: "unbounded", discard: true }
      )
      return yield* new RepositoryRefused({ error: refusal })
    }
    if (failures[0] !== undefined) return yield* failures[0]
    yield* Effect.forEach(
      created,
      ({ credentials, robot }) => whileProvisioning(grantRobot(target.repository, credentials.role, robot)),
      { concurrency: "unbounded", discard: true }
    )
    const robots: Robots = Object.fromEntries(created.map(({ credentials, robot }) => [credentials.role, robot]))
    return robots
  }).pipe(Effect.withSpan("createQuayObjects", { captureStackTrace: false, attributes: { repository: target.repository } }))
