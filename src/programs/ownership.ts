import { Data, Effect, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { isMarked, isOwnedBy } from "../domain/Ownership.ts"
import { robotField, type StatusDamage } from "../domain/StatusClaims.ts"
import { Quay, type QuayRepository } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { RepositoryMissing } from "./errors.ts"
import { roles, type Target } from "./Target.ts"

/**
 * What status names could not be shown in Quay to be this object's (a repository marked for another object, an
 * original-looking robot without a grant here): nothing was done with it, and the field is put back.
 */
export class StatusDamaged extends Data.TaggedError("StatusDamaged")<{ readonly damage: StatusDamage }> {}

/**
 * A robot with the original controller's name is this object's only if it holds a grant on this object's
 * repository, as the original gave its robots: the name alone could be another namespace's (`a/b-c`, `a-b/c`).
 */
export const originalRobotConfirmed = (target: Pick<Target, "repository" | "robotFullName">) =>
  Effect.flatMap(Quay, (quay) => quay.listPermissions(target.repository)).pipe(
    Effect.map((grants) => grants.has(target.robotFullName))
  )

/**
 * A repository is this object's when its mark names this object, or, for one of the original controller's (no
 * mark at all), when this object's confirmed original robot holds a grant on it.
 */
export const isOurRepository = (ir: ImageRepository, repository: QuayRepository, originalRobot: boolean): boolean =>
  isOwnedBy(repository.description, ir.metadata) || (!isMarked(repository.description) && originalRobot)

/** The recorded repository is not this object's: nothing is done with it, and the URL is put back. */
export const repositoryNotOurs = (target: Target): StatusDamaged =>
  new StatusDamaged({
    damage: {
      field: "image.url",
      message: `status.image.url names Quay repository '${target.repository}', which is not this ImageRepository's; it was not touched`
    }
  })

/**
 * Confirms that the recorded repository and the robots (each role's) are this object's, before a maintenance pass changes
 * the repository or touches a robot of the original controller: one read of the repository (its mark), and for
 * an original robot one read of the repository's grants. A robot whose name the identity derives needs neither,
 * so a converged pass, a rotation and a Secret repair cost no extra call. RepositoryMissing when the repository is
 * gone (provisioning creates it again under the recorded name). Gives the repository as read, its visibility included.
 */
export const confirmTarget = (
  ir: ImageRepository,
  target: Target
): Effect.Effect<QuayRepository, StatusDamaged | RepositoryMissing | QuayError, Quay> =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const found = yield* quay.getRepository(target.repository)
    if (Option.isNone(found)) return yield* new RepositoryMissing({ repository: target.repository })
    const repository = found.value
    const original = roles(target).filter((c) => c.robot.proof === "original")
    if (original.length === 0) {
      if (!isOwnedBy(repository.description, ir.metadata)) return yield* repositoryNotOurs(target)
      return repository
    }
    for (const credentials of original) {
      if (!(yield* originalRobotConfirmed({ repository: target.repository, robotFullName: credentials.robotFullName }))) {
        const field = robotField(credentials.role)
        return yield* new StatusDamaged({
          damage: {
            field: `credentials.${field}`,
            message: `status.credentials.${field} names robot '${credentials.robotShortName}', which holds no grant on this ImageRepository's repository; it was not used`
          }
        })
      }
    }
    if (!isOurRepository(ir, repository, true)) return yield* repositoryNotOurs(target)
    return repository
  }).pipe(Effect.withSpan("confirmTarget", { captureStackTrace: false, attributes: { repository: target.repository } }))
