import { Data, type Duration } from "effect"

/**
 * How a reconcile step failed, which decides what the user sees:
 * - Critical: status.state failed with the message; the object is left alone until recreated.
 * - NonCritical: status.message set and the offending spec field reverted; the object stays ready.
 * - Transient: retried with backoff; the message is shown but the object never becomes failed.
 */
export class Critical extends Data.TaggedError("Critical")<{
  readonly reason: string
  readonly message: string
}> {}

/** A spec field the operator puts back, with the value it had. */
export interface SpecRevert {
  readonly field: "image.name" | "image.visibility"
  readonly value: string
}

export class NonCritical extends Data.TaggedError("NonCritical")<{
  readonly reason: string
  readonly message: string
  readonly revert: SpecRevert
}> {}

export class Transient extends Data.TaggedError("Transient")<{
  readonly reason: string
  readonly message: string
  /** Not sooner than this (a server's Retry-After). */
  readonly retryAfter?: Duration.Duration
  /** Not later than this, whatever the backoff has grown to (a deletion's deadline). */
  readonly retryWithin?: Duration.Duration
}> {}

export type ReconcileError = Critical | NonCritical | Transient
