import { Clock, Duration, Effect } from "effect"
import type { ObjectMeta } from "../domain/ObjectMeta.ts"
import { Transient } from "../domain/ReconcileError.ts"
import { fromMillis, toMillis } from "../domain/Timestamp.ts"
import { CleanupDeadline } from "./CleanupDeadline.ts"
import type { Leftover } from "./deleteQuayObjects.ts"
import { fromQuay, isRetryable } from "./errors.ts"

/**
 * The bound on a deletion, for every kind the operator cleans up after (ImageRepositories, legacy Components):
 * Quay failures that may clear are retried until `CleanupDeadline` after the deletionTimestamp (the apiserver
 * keeps it, so every replica and restart agrees on it without a write); then, or at once for a refusal that will
 * not clear, the finalizer is released anyway and a Warning names what was left in Quay.
 */
export interface Deadline {
  readonly bound: Duration.Duration
  readonly deadline: number
  readonly now: number
  /** The deadline has passed: this attempt is the last, whatever Quay answers. */
  readonly final: boolean
}

export const deadlineOf = (meta: ObjectMeta): Effect.Effect<Deadline> =>
  Effect.gen(function*() {
    const bound = yield* CleanupDeadline
    const now = yield* Clock.currentTimeMillis
    const deadline = (toMillis(meta.deletionTimestamp) ?? now) + Duration.toMillis(bound)
    return { bound, deadline, now, final: now >= deadline }
  })

/** The Event reason of a deletion that left something of the object's in Quay. */
export const leftoversReason = "QuayCleanupIncomplete"

const listed = (leftovers: ReadonlyArray<Leftover>): string => leftovers.map((l) => l.what).join(", ")

/** The failure to retry with, while the deadline has not passed and a leftover's failure may clear. */
export const retryBeforeDeadline = (leftovers: ReadonlyArray<Leftover>, deadline: Deadline): Transient | undefined => {
  const cause = leftovers.find((l) => isRetryable(l.error))
  if (deadline.final || cause === undefined) return undefined
  const transient = fromQuay(cause.error)
  // Back by the deadline at the latest, whatever the backoff has grown to.
  return new Transient({
    reason: transient.reason,
    message: `deletion waits for Quay (${transient.message}): ${listed(leftovers)}; retried until ${
      fromMillis(deadline.deadline)
    }, then the finalizer is released and what is left is named`,
    ...(transient.retryAfter === undefined ? {} : { retryAfter: transient.retryAfter }),
    retryWithin: Duration.millis(Math.max(0, deadline.deadline - deadline.now))
  })
}

/** Why a deletion gave up on what it left: Quay refused it for good, or still failed at the deadline. */
export const leftoversMessage = (leftovers: ReadonlyArray<Leftover>, bound: Duration.Duration, afterwards: string): string => {
  const first = leftovers[0]?.error.message ?? ""
  const why = leftovers.some((l) => isRetryable(l.error))
    ? `Quay still failed ${Duration.format(bound)} after the deletion (${first})`
    : `Quay refused (${first})`
  return `${why}; left in Quay: ${listed(leftovers)}. The finalizer was released; ${afterwards}`
}
