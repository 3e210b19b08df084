import { Duration, Schedule } from "effect"
import type { QuayError } from "../../services/QuayError.ts"
import type { QuayMethod } from "./request.ts"

/**
 * Retries inside the transport are few and quick, so a reconcile never holds a worker for long: everything else
 * goes to the caller as a typed error (with `retryAfterSeconds` when Quay or a proxy asked for a wait), and the work
 * queue's per-key backoff, which honours Retry-After, tries the object again later.
 */
export interface RetryPolicyOptions {
  readonly base: Duration.DurationInput
  readonly factor: number
  readonly cap: Duration.DurationInput
  readonly maxRetries: number
  /** A Retry-After longer than this is not waited out here: the error goes to the caller, who requeues. */
  readonly maxRetryAfter: Duration.DurationInput
}

export const defaultRetryPolicyOptions: RetryPolicyOptions = {
  base: "100 millis",
  factor: 2,
  cap: "1 second",
  maxRetries: 2,
  maxRetryAfter: "1 second"
}

const retryAfter = (error: QuayError): Duration.Duration | undefined =>
  error._tag === "QuayRateLimited" && error.retryAfterSeconds !== undefined
    ? Duration.seconds(error.retryAfterSeconds)
    : undefined

/**
 * Capped, jittered exponential backoff over transient Quay errors; never an error that would only repeat (401,
 * 402, 400s), never a Retry-After longer than `maxRetryAfter`, and a shorter one is waited out at least.
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

/**
 * 100 ms base, factor 2, jittered (±20%), each delay capped at 1 s, at most 2 retries; a Retry-After of up to 1 s is
 * waited out. At most about 0.4 s of backoff (2.4 s with two one-second Retry-Afters) on top of the attempts.
 */
export const quayRetryPolicy: Schedule.Schedule<unknown, QuayError> = makeRetryPolicy(defaultRetryPolicyOptions)

/** A failed attempt, and whether any byte of the request may have reached the server. */
export interface AttemptFailure {
  readonly error: QuayError
  readonly requestSent: boolean
}

/**
 * Whether a failed attempt may be tried again at all (the policy then decides when and how often): a transient
 * failure of a GET (reads change nothing, so repeating one is always safe), or of any request that never left this
 * process (see `connectionNeverMade`). A write that may have reached Quay (a 5xx, a 429, a timeout, a reset
 * connection) is not repeated here: Quay may have done it, and the next reconcile reads before it writes again.
 */
export const mayRetry = (method: QuayMethod, failure: AttemptFailure): boolean =>
  failure.error.transient && (method === "GET" || !failure.requestSent)

/**
 * Errors that the OS raises while resolving the host or opening the connection, before a socket exists to write
 * on, so no byte of the request was sent: DNS failures (ENOTFOUND, EAI_AGAIN) and refused or unroutable connects
 * (ECONNREFUSED, ENETUNREACH, EHOSTUNREACH). ECONNRESET and EPIPE are not among them: a reset can come after Quay
 * read the whole request (and acted on it), and from here the two cannot be told apart.
 */
const connectPhaseCodes: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"])

const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined

/** True when `cause` (Node's error, or the AggregateError of several address attempts) is a connect-phase error. */
export const connectionNeverMade = (cause: unknown): boolean => {
  if (cause instanceof AggregateError && cause.errors.length > 0) return cause.errors.every(connectionNeverMade)
  const code = codeOf(cause)
  return code !== undefined && connectPhaseCodes.has(code)
}
