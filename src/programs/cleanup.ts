import { Clock, Duration, Effect } from "effect"
import { finalizer, hasFinalizer, type ImageRepository } from "../domain/ImageRepository.ts"
import { Transient } from "../domain/ReconcileError.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { fromMillis, toMillis } from "../domain/Timestamp.ts"
import { ProgramSettings } from "../services/ProgramSettings.ts"
import { Quay } from "../services/Quay.ts"
import { done } from "../services/ReconcileResult.ts"
import { CleanupDeadline } from "./CleanupDeadline.ts"
import { deleteQuayObjects, type Leftover } from "./deleteQuayObjects.ts"
import { fromQuay, isRetryable } from "./errors.ts"
import { patchObject } from "./ImageRepositoryWrites.ts"
import { recordWarning } from "./recordEvent.ts"
import { unlinkSecret } from "./serviceAccountLinks.ts"
import { reportDamages } from "./statusDamage.ts"
import * as Target from "./Target.ts"

/** The Event reason of a deletion that left something of the object's in Quay. */
export const leftoversReason = "QuayCleanupIncomplete"

const listed = (leftovers: ReadonlyArray<Leftover>): string => leftovers.map((l) => l.what).join(", ")

/** Why a deletion gave up on what it left: Quay refused it for good, or still failed at the deadline. */
const leftoversMessage = (leftovers: ReadonlyArray<Leftover>, bound: Duration.Duration): string => {
  const first = leftovers[0]?.error.message ?? ""
  const why = leftovers.some((l) => isRetryable(l.error))
    ? `Quay still failed ${Duration.format(bound)} after the deletion (${first})`
    : `Quay refused (${first})`
  return `${why}; left in Quay: ${listed(leftovers)}. The finalizer was released; the orphan sweep removes what carries this object's mark.`
}

/** Retried until the deadline, and at the deadline at the latest whatever the backoff has grown to. */
const retryUntil = (cause: Leftover, leftovers: ReadonlyArray<Leftover>, deadline: number, now: number): Transient => {
  const transient = fromQuay(cause.error)
  return new Transient({
    reason: transient.reason,
    message: `deletion waits for Quay (${transient.message}): ${listed(leftovers)}; retried until ${fromMillis(deadline)}, then left for the orphan sweep`,
    ...(transient.retryAfter === undefined ? {} : { retryAfter: transient.retryAfter }),
    retryWithin: Duration.millis(Math.max(0, deadline - now))
  })
}

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
    const bound = yield* CleanupDeadline
    const now = yield* Clock.currentTimeMillis
    const deadline = (toMillis(ir.metadata.deletionTimestamp) ?? now) + Duration.toMillis(bound)
    const final = now >= deadline
    const leftovers = mayHaveQuayObjects(ir) ? yield* deleteQuayObjects(ir, { final }) : []
    const retryable = leftovers.find((l) => isRetryable(l.error))
    if (!final && retryable !== undefined) return yield* retryUntil(retryable, leftovers, deadline, now)
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
      return done
    }
    // After the release, so a retried release cannot record it twice. In a namespace being deleted the apiserver
    // takes no new Event: the log line still names what was left.
    const message = leftoversMessage(leftovers, bound)
    yield* Effect.logWarning(`deleted with leftovers: ${message}`)
    yield* recordWarning(ir, leftoversReason, message)
    return done
  }).pipe(Effect.withSpan("cleanup"))
