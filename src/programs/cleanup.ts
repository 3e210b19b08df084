import { Effect, Either, Option } from "effect"
import {
  finalizer,
  hasFinalizer,
  type ImageRepository,
  skipRepositoryDeletionAnnotation
} from "../domain/ImageRepository.ts"
import { isOwnedBy } from "../domain/Ownership.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import { Quay } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { fromQuay } from "./errors.ts"
import { patchObject } from "./ImageRepositoryWrites.ts"
import { unlinkSecret } from "./serviceAccountLinks.ts"
import { done } from "../services/ReconcileResult.ts"
import * as Target from "./Target.ts"

/**
 * Quay failures block the deletion and are retried (the finalizer stays), so nothing is orphaned; only a request
 * Quay will never accept is given up on, with a warning, so a broken object cannot block its namespace forever.
 */
const bestEffort = (what: string) => <A, R>(effect: Effect.Effect<A, QuayError, R>) =>
  effect.pipe(
    Effect.asVoid,
    Effect.catchTag("QuayInvalidRequest", (e) => Effect.logWarning(`cleanup: ${what}: ${e.message}`)),
    Effect.mapError(fromQuay)
  )

/**
 * Deletion: the push robot and the repository go (the repository stays when the skip annotation says so, and
 * when it is not this object's), the push Secret is unlinked from service accounts, then the finalizer is removed
 * and garbage collection takes the Secret.
 */
export const cleanup = (ir: ImageRepository) =>
  Effect.gen(function*() {
    if (!hasFinalizer(ir)) return done
    const quay = yield* Quay
    // The robot follows from the object's identity, so it goes even when no repository can be named.
    const { robotShortName, secretName } = Target.credentials(ir, quay)
    yield* quay.deleteRobot(robotShortName).pipe(bestEffort(`robot ${robotShortName}`))
    const target = Either.getRight(Target.chosen(ir, quay))
    if (Option.isSome(target) && ir.metadata.annotations?.[skipRepositoryDeletionAnnotation] !== "true") {
      const { repository } = target.value
      // Ready under its recorded repository, the repository is this object's; otherwise (a failed or unfinished
      // provisioning) only a repository that carries this object's mark is.
      const ours = ir.status?.state === "ready" && Option.isSome(Target.recorded(ir, quay))
        ? Effect.succeed(true)
        : quay.getRepository(repository).pipe(Effect.map(Option.exists((repo) => isOwnedBy(repo.description, ir.metadata))))
      yield* ours.pipe(
        Effect.flatMap((own) => (own ? quay.deleteRepository(repository) : Effect.void)),
        bestEffort(`repository ${repository}`)
      )
    }
    yield* Effect.forEach(
      pushSecretTargets(ir),
      (serviceAccount) => unlinkSecret(ir.metadata.namespace ?? "", serviceAccount, secretName),
      { discard: true }
    )
    yield* patchObject(ir, { metadata: { finalizers: (ir.metadata.finalizers ?? []).filter((f) => f !== finalizer) } })
    yield* Effect.logInfo("cleaned up")
    return done
  }).pipe(Effect.withSpan("cleanup"))
