import type { Duration } from "effect"

/**
 * What one reconcile asks of the work queue. Level-based, as in controller-runtime: an empty result means
 * "converged, wait for the next change"; `requeueAfter` asks for another visit after that delay (polling,
 * waiting for something outside Kubernetes). Failures are the reconcile's error channel, not part of this.
 */
export interface ReconcileResult {
  readonly requeueAfter?: Duration.Duration
}

/** Converged: nothing to do until something changes. */
export const done: ReconcileResult = {}

export const requeueAfter = (delay: Duration.Duration): ReconcileResult => ({ requeueAfter: delay })
