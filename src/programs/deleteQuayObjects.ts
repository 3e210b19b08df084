import { Effect, Either, Option } from "effect"
import { type ImageRepository, skipRepositoryDeletionAnnotation } from "../domain/ImageRepository.ts"
import { isOwnedBy, keptRepositoryDescription } from "../domain/Ownership.ts"
import type { Transient } from "../domain/ReconcileError.ts"
import { usersOf } from "../domain/RepositoryUsers.ts"
import { robotFullName } from "../domain/RobotName.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { Quay, type QuayRepository, type RepositoryRole } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { fromKubernetes, isRetryable } from "./errors.ts"
import { imageRepositoriesIn } from "./imageRepositoriesIn.ts"
import { isNamespaceGranted, revokeNamespaceGrant } from "./namespacePull.ts"
import { isOurRepository } from "./ownership.ts"
import * as Target from "./Target.ts"

/** Something of this object's that a deletion could not remove (or, for a kept repository, release) in Quay. */
export interface Leftover {
  /** What it is, as the Warning Event names it: `robot my-org+…`, `repository my-org/…`. */
  readonly what: string
  readonly error: QuayError
}

/** One Quay step whose failure is written down instead of ending the deletion, so the other steps still run. */
const attempt = <A, R>(what: string, step: Effect.Effect<A, QuayError, R>): Effect.Effect<Either.Either<A, Leftover>, never, R> =>
  Effect.match(step, {
    onFailure: (error) => Either.left({ what, error }),
    onSuccess: (a) => Either.right(a)
  })

/** The other live objects of the namespace that use the repository: one list, from the informer's cache in the operator. */
const otherUsers = (ir: ImageRepository, repository: string) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const objects = yield* imageRepositoriesIn(ir.metadata.namespace ?? "").pipe(Effect.mapError(fromKubernetes))
    return usersOf(objects, repository, quay, ir.metadata.uid)
  })

/**
 * Removes this object's robots and repository from Quay, each only once it is shown to be this object's: a robot
 * whose name the identity derives, or one of the original controller's with a grant on this object's repository;
 * a repository marked for this object, or the original controller's (no mark) granted to such a robot. Robots
 * always go. The repository stays when another live object uses it, or when the skip-repository-deletion
 * annotation says so: then its mark is released, so no orphan sweep deletes it later. Every step runs whatever
 * the others answered; what Quay did not do comes back as leftovers. While the deletion will be retried (not
 * `final`), a repository waits for robots still to be retried, since an original robot is confirmed by its grant.
 */
export const deleteQuayObjects = (
  ir: ImageRepository,
  options: { readonly final: boolean }
): Effect.Effect<ReadonlyArray<Leftover>, Transient, Quay | Kubernetes> =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const org = quay.organization
    const leftovers: Array<Leftover> = []
    const robots = Target.robots(ir, quay)
    const originals = robots.some((r) => r.proof === "original")
    const repository = Option.map(Either.getRight(Target.chosen(ir, quay)), (t) => t.repository)
    const keep = ir.metadata.annotations?.[skipRepositoryDeletionAnnotation] === "true"
    const users = Option.isSome(repository) && !keep ? yield* otherUsers(ir, repository.value) : []
    // A kept repository's grant to the namespace robot goes unless another object still uses the repository.
    const granted = keep && isNamespaceGranted(ir)
    const sharers = granted && Option.isSome(repository) ? yield* otherUsers(ir, repository.value) : users
    const repositoryText = (name: string) => `repository ${org}/${name}`
    const markText = (name: string) =>
      `the mark on the kept ${repositoryText(name)} (while it carries it, the orphan sweep would delete it)`

    const read = Option.isSome(repository) && (users.length === 0 || originals)
      ? yield* attempt(
        keep ? markText(repository.value) : repositoryText(repository.value),
        quay.getRepository(repository.value)
      )
      : Either.right(Option.none<QuayRepository>())
    // A repository kept for its other users is left either way: a failed read matters only to the robots it confirms.
    if (Either.isLeft(read) && users.length === 0) leftovers.push(read.left)
    const found = Either.getOrElse(read, () => Option.none<QuayRepository>())
    const grants = originals && Option.isSome(found)
      ? yield* attempt(repositoryText(found.value.name), quay.listPermissions(found.value.name))
      : Either.right(new Map<string, RepositoryRole>())

    let originalConfirmed = false
    for (const robot of robots) {
      const fullName = robotFullName(org, robot.shortName)
      if (robot.proof === "original") {
        // Unconfirmed because Quay did not answer: left, and named; confirmed not to be ours: left alone.
        const unanswered = Either.isLeft(read) ? read.left : Either.isLeft(grants) ? grants.left : undefined
        if (unanswered !== undefined) {
          leftovers.push({ what: `robot ${fullName}`, error: unanswered.error })
          continue
        }
        if (!Either.getOrElse(grants, () => new Map()).has(fullName)) {
          yield* Effect.logWarning(`cleanup: robot ${fullName} is left in Quay: it cannot be shown to be this object's`)
          continue
        }
        originalConfirmed = true
      }
      const deleted = yield* attempt(`robot ${fullName}`, quay.deleteRobot(robot.shortName))
      if (Either.isLeft(deleted)) leftovers.push(deleted.left)
    }

    if (Option.isSome(repository) && users.length > 0) {
      const names = users.map((u) => u.metadata.name).join(", ")
      yield* Effect.logInfo(`cleanup: ${repositoryText(repository.value)} is kept: ImageRepository ${names} uses it`)
      return leftovers
    }
    if (Option.isNone(found)) return leftovers
    const present = found.value
    if (!isOurRepository(ir, present, originalConfirmed)) {
      yield* Effect.logInfo(`cleanup: ${repositoryText(present.name)} is left in Quay: it is not this object's`)
      return leftovers
    }
    if (keep) {
      if (granted && sharers.length === 0) {
        const revoked = yield* attempt(`the namespace robot's grant on ${repositoryText(present.name)}`, revokeNamespaceGrant(ir, present.name))
        if (Either.isLeft(revoked)) leftovers.push(revoked.left)
      }
      // An original controller's repository carries no mark to release.
      if (!isOwnedBy(present.description, ir.metadata)) return leftovers
      const released = yield* attempt(
        markText(present.name),
        quay.setRepositoryDescription(present.name, keptRepositoryDescription(ir.metadata)).pipe(
          Effect.catchTag("QuayNotFound", () => Effect.void)
        )
      )
      if (Either.isLeft(released)) leftovers.push(released.left)
      return leftovers
    }
    if (!options.final && leftovers.some((l) => isRetryable(l.error))) return leftovers
    const deleted = yield* attempt(repositoryText(present.name), quay.deleteRepository(present.name))
    if (Either.isLeft(deleted)) leftovers.push(deleted.left)
    return leftovers
  }).pipe(Effect.withSpan("deleteQuayObjects", { captureStackTrace: false }))
