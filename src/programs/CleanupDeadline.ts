import { Context, Duration, Layer } from "effect"

/**
 * How long a deletion keeps retrying Quay failures that may clear (outages, rate limits, a refused operator
 * token), counted from the object's deletionTimestamp; past it the finalizer is released and what was left in
 * Quay is named in a Warning Event, for the orphan sweep. Counted from deletionTimestamp because the apiserver
 * keeps it: every replica, a new leader and a restarted process read the same deadline without a write, and a
 * namespace's Terminating is bounded by it as users see it. Default 5 minutes.
 */
export class CleanupDeadline extends Context.Reference<CleanupDeadline>()("image-repository-operator/CleanupDeadline", {
  defaultValue: (): Duration.Duration => Duration.minutes(5)
}) {}

export const layer = (bound: Duration.DurationInput): Layer.Layer<CleanupDeadline> =>
  Layer.succeed(CleanupDeadline, Duration.decode(bound))
