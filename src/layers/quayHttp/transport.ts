import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Clock, Duration, Effect, RateLimiter, Redacted, type Schedule, type Scope, Stream } from "effect"
import { type QuayError, QuayUnavailable } from "../../services/QuayError.ts"
import type { ResolvedQuayHttpConfig } from "./config.ts"
import { commonFailure, type QuayReply, summarize } from "./reply.ts"
import type { QuayRequest } from "./request.ts"

/**
 * Sends requests to Quay: one bearer token, a client-side token bucket (so the operator never causes a 429 storm),
 * a bound on requests in flight, a per-attempt timeout, a capped body read, and retries of transient failures.
 * Fails with the errors every endpoint shares (401/403, 429, 5xx, network, timeout, oversized body); any other
 * status comes back as a `QuayReply` for the operation to interpret.
 */
export interface QuayTransport {
  readonly send: (request: QuayRequest) => Effect.Effect<QuayReply, QuayError>
}

const clip = (text: string, max = 200): string => (text.length > max ? `${text.slice(0, max)}…` : text)

const causeText = (cause: unknown): string =>
  cause instanceof Error ? clip(cause.message) : cause === undefined ? "" : clip(String(cause))

/** Retry-After is either delta-seconds or an HTTP date. */
const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

/** Reads at most `max` bytes; a body that keeps going is not an answer of Quay's API and is cut off. */
const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  max: number
): Effect.Effect<string, QuayUnavailable> => {
  const tooLarge = new QuayUnavailable({ status: response.status, detail: `response body larger than ${max} bytes` })
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > max) return Effect.fail(tooLarge)
  return response.stream.pipe(
    Stream.runFoldWhile(
      { chunks: [] as Array<Uint8Array>, size: 0 },
      (state) => state.size <= max,
      (state, chunk) => {
        state.chunks.push(chunk)
        return { chunks: state.chunks, size: state.size + chunk.length }
      }
    ),
    Effect.mapError((error) =>
      new QuayUnavailable({ status: response.status, detail: `reading the response failed: ${causeText(error.cause)}` })
    ),
    Effect.flatMap((state) =>
      state.size > max
        ? Effect.fail(tooLarge)
        : Effect.succeed(new TextDecoder().decode(Buffer.concat(state.chunks, state.size)))
    )
  )
}

export const makeTransport = (
  config: ResolvedQuayHttpConfig,
  retryPolicy: Schedule.Schedule<unknown, QuayError>
): Effect.Effect<QuayTransport, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    // Effect's token bucket holds `limit` tokens and adds one every interval/limit: burst at the sustained rate.
    const limiter = yield* RateLimiter.make({
      algorithm: "token-bucket",
      limit: config.burst,
      interval: Duration.millis((config.burst * 1000) / config.requestsPerSecond)
    })
    const inFlight = yield* Effect.makeSemaphore(config.maxConcurrentRequests)
    // Cut out of error details, should a proxy ever echo the Authorization header back.
    const secrets = [Redacted.value(config.token)]
    const timeoutText = Duration.format(config.timeout)

    const toHttp = (request: QuayRequest): HttpClientRequest.HttpClientRequest => {
      const base = HttpClientRequest.make(request.method)(`${config.apiUrl}${request.path}`).pipe(
        HttpClientRequest.bearerToken(config.token),
        HttpClientRequest.acceptJson,
        HttpClientRequest.setUrlParams(request.urlParams ?? {})
      )
      return request.body === undefined ? base : HttpClientRequest.bodyUnsafeJson(base, request.body)
    }

    const attempt = (request: QuayRequest): Effect.Effect<QuayReply, QuayError> =>
      Effect.gen(function*() {
        const response = yield* client.execute(toHttp(request)).pipe(
          Effect.mapError((error) =>
            new QuayUnavailable({
              detail: error._tag === "RequestError"
                ? `${error.reason === "Transport" ? "network error" : error.reason}${
                  error.cause === undefined ? "" : `: ${causeText(error.cause)}`
                }`
                : `bad response: ${causeText(error.cause)}`
            })
          )
        )
        yield* Effect.annotateCurrentSpan("http.response.status_code", response.status)
        const body = yield* readBody(response, config.maxResponseBytes)
        const now = yield* Clock.currentTimeMillis
        const location = response.headers["location"]
        const reply: QuayReply = {
          status: response.status,
          body,
          summary: response.status >= 300 && response.status < 400 && location !== undefined
            ? `Location ${clip(location, 120)}`
            : summarize(body, secrets),
          retryAfterSeconds: parseRetryAfter(response.headers["retry-after"], now)
        }
        const failure = commonFailure(reply)
        return failure === undefined ? reply : yield* Effect.fail(failure)
      }).pipe(
        Effect.timeoutFail({
          duration: config.timeout,
          onTimeout: () => new QuayUnavailable({ detail: `no complete answer within ${timeoutText}` })
        }),
        limiter,
        inFlight.withPermits(1),
        Effect.tapError((error) =>
          Effect.logDebug(`Quay ${request.method} ${request.path} failed: ${error.message}`).pipe(
            Effect.annotateLogs({ transient: error.transient })
          )
        )
      )

    return {
      send: (request) => attempt(request).pipe(Effect.retry(retryPolicy))
    }
  })
