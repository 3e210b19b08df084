import { Duration, Schedule } from "effect"
import type { QuayError } from "../../services/QuayError.ts"

export interface RetryPolicyOptions {
  readonly base: Duration.DurationInput
  readonly factor: number
  readonly cap: Duration.DurationInput
  readonly maxRetries: number
  /** A Retry-After longer than this is not waited out here: the error goes to the caller, who requeues. */
  readonly maxRetryAfter: Duration.DurationInput
}

export const defaultRetryPolicyOptions: RetryPolicyOptions = {
  base: "200 millis",
  factor: 2,
  cap: "10 seconds",
  maxRetries: 4,
  maxRetryAfter: "60 seconds"
}

const retryAfter = (error: QuayError): Duration.Duration | undefined =>
  error._tag === "QuayRateLimited" && error.retryAfterSeconds !== undefined
    ? Duration.seconds(error.retryAfterSeconds)
    : undefined

/**
 * Retries transient Quay errors (rate limits, 5xx, network, timeouts) with capped, jittered exponential backoff;
 * never retries an error that would only repeat (401, 402, 400s). A 429 waits at least its Retry-After.
 */
export const makeRetryPolicy = (options: RetryPolicyOptions): Schedule.Schedule<unknown, QuayError> => {
  const cap = Duration.decode(options.cap)
  const maxRetryAfter = Duration.decode(options.maxRetryAfter)
  return Schedule.exponential(options.base, options.factor).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap)),
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.intersect(Schedule.identity<QuayError>()),
    Schedule.whileInput((error: QuayError) => {
      const wait = retryAfter(error)
      return error.transient && (wait === undefined || Duration.lessThanOrEqualTo(wait, maxRetryAfter))
    }),
    Schedule.modifyDelay(([, error], delay) => {
      const wait = retryAfter(error)
      return wait === undefined ? delay : Duration.max(delay, wait)
    })
  )
}

/** 200 ms base, factor 2, jittered, each delay capped at 10 s, at most 4 retries; Retry-After up to 60 s honoured. */
export const quayRetryPolicy: Schedule.Schedule<unknown, QuayError> = makeRetryPolicy(defaultRetryPolicyOptions)
