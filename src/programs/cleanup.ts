import { Effect } from "effect"
import {
  finalizer,
  hasFinalizer,
  type ImageRepository,
  skipRepositoryDeletionAnnotation
} from "../domain/ImageRepository.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import * as TransitionEvent from "../domain/TransitionEvent.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { ProgramSettings } from "../services/ProgramSettings.ts"
import { Quay } from "../services/Quay.ts"
import { done } from "../services/ReconcileResult.ts"
import { deleteQuayObjects } from "./deleteQuayObjects.ts"
import { deadlineOf, leftoversMessage, leftoversReason, retryBeforeDeadline } from "./deletionDeadline.ts"
import { patchObject } from "./ImageRepositoryWrites.ts"
import { recordEvent, recordWarning } from "./recordEvent.ts"
import { unlinkSecret } from "./serviceAccountLinks.ts"
import { reportDamages } from "./statusDamage.ts"
import * as Target from "./Target.ts"

/**
 * Whether anything may exist in Quay for the object. The target is recorded in status before the first Quay call,
 * and a failure that created nothing drops it again, so an object with no image URL that is not ready (never
 * provisioned that far, or failed before its repository existed) costs no Quay call to delete. A ready object
 * whose URL status lost is still cleaned up by the names its identity and spec derive.
 */
const mayHaveQuayObjects = (ir: ImageRepository): boolean =>
  ir.status?.image?.url !== undefined || ir.status?.state === "ready"

/**
 * Deletion that always finishes: the object's robots and repository leave Quay (see deleteQuayObjects), its
 * Secrets are unlinked from service accounts (the pipeline one as configured), the finalizer is removed and
 * garbage collection takes the Secrets.
 * Quay failures that may clear are retried until the deadline (`CleanupDeadline` after the deletionTimestamp);
 * any other refusal, or the deadline passing, releases the finalizer anyway, with a Warning Event naming what was
 * left in Quay for the orphan sweep, so no namespace stays Terminating because Quay is down or the token revoked.
 * Status fields that named what is not this object's are reported.
 */
export const cleanup = (ir: ImageRepository, damages: ReadonlyArray<StatusDamage> = []) =>
  Effect.gen(function*() {
    if (!hasFinalizer(ir)) return done
    yield* reportDamages(ir, damages)
    const quay = yield* Quay
    const deadline = yield* deadlineOf(ir.metadata)
    const leftovers = mayHaveQuayObjects(ir) ? yield* deleteQuayObjects(ir, { final: deadline.final }) : []
    const retry = retryBeforeDeadline(leftovers, deadline)
    if (retry !== undefined) return yield* retry
    const settings = yield* ProgramSettings
    // Every role's Secret: push, and pull for a component repository (or the original controller's pull robot).
    const secrets = Target.robots(ir, quay).map((robot) => Target.credentials(ir, quay, robot.role).secretName)
    yield* Effect.forEach(
      pushSecretTargets(ir, settings.pipelineServiceAccount).flatMap((sa) => secrets.map((secret) => [sa, secret] as const)),
      ([serviceAccount, secret]) => unlinkSecret(ir.metadata.namespace ?? "", serviceAccount, secret),
      { discard: true }
    )
    yield* patchObject(ir, { metadata: { finalizers: (ir.metadata.finalizers ?? []).filter((f) => f !== finalizer) } })
    if (leftovers.length === 0) {
      yield* Effect.logInfo("cleaned up")
      const kept = ir.metadata.annotations?.[skipRepositoryDeletionAnnotation] === "true"
      yield* recordEvent(ir, TransitionEvent.cleanedUp(ir.status?.image?.url, kept))
      return done
    }
    // After the release, so a retried release cannot record it twice. In a namespace being deleted the apiserver
    // takes no new Event: the log line still names what was left.
    const message = leftoversMessage(leftovers, deadline.bound, "the orphan sweep removes what carries this object's mark.")
    yield* Effect.logWarning(`deleted with leftovers: ${message}`)
    yield* recordWarning(ir, leftoversReason, message)
    return done
  }).pipe(Effect.withSpan("cleanup", { captureStackTrace: false }))
