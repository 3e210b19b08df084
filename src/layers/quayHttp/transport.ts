// Module paths, not the @effect/platform barrel: the barrel loads every module, HttpApi's bundled UIs included.
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Cause, Clock, Duration, Effect, Exit, Option, Redacted, Schedule, type Scope, Stream } from "effect"
import { type QuayError, QuayUnavailable } from "../../services/QuayError.ts"
import * as ClientLimit from "./clientLimit.ts"
import type { ResolvedQuayHttpConfig } from "./config.ts"
import * as QuayMetrics from "./metrics.ts"
import { endpointOf } from "./paths.ts"
import { commonFailure, type QuayReply, summarize } from "./reply.ts"
import type { QuayRequest } from "./request.ts"
import { type AttemptFailure, connectionNeverMade, mayRetry } from "./retryPolicy.ts"
import { makeTokenProvider } from "./token.ts"

/**
 * Sends requests to Quay: one bearer token, a client-side token bucket (so the operator never causes a 429 storm),
 * a bound on requests in flight, a per-attempt timeout, a capped body read, and the few retries that are safe and
 * quick (`retryPolicy.ts`).
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
  // No body by definition (a web Response, as the HTTP/2 client builds, has no stream to read for these).
  if (response.status === 204 || response.status === 304) return Effect.succeed("")
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

export interface TransportOptions {
  readonly retryPolicy: Schedule.Schedule<unknown, QuayError>
  /** How long a token read from a file is used before the file is read again. */
  readonly tokenRefresh?: Duration.DurationInput | undefined
}

const sent = (error: QuayError): AttemptFailure => ({ error, requestSent: true })

export const makeTransport = (
  config: ResolvedQuayHttpConfig,
  options: TransportOptions
): Effect.Effect<QuayTransport, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const currentToken = yield* makeTokenProvider(config.token, options.tokenRefresh)
    const limit = yield* ClientLimit.make(config)
    const inFlight = yield* Effect.makeSemaphore(config.maxConcurrentRequests)
    const timeoutText = Duration.format(config.timeout)

    const toHttp = (request: QuayRequest, token: Redacted.Redacted<string>): HttpClientRequest.HttpClientRequest => {
      const base = HttpClientRequest.make(request.method)(`${config.apiUrl}${request.path}`).pipe(
        HttpClientRequest.bearerToken(token),
        HttpClientRequest.acceptJson,
        HttpClientRequest.setUrlParams(request.urlParams ?? {})
      )
      return request.body === undefined ? base : HttpClientRequest.bodyUnsafeJson(base, request.body)
    }

    /** Counts the attempt and its time on the wire (not the wait for the rate limiter) by endpoint and status. */
    const measured = (request: QuayRequest, sending: Effect.Effect<QuayReply, AttemptFailure>) =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(sending)
        if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) return yield* exit
        const status = Exit.match(exit, {
          onSuccess: (reply) => String(reply.status),
          onFailure: (cause) =>
            Option.match(Cause.failureOption(cause), {
              onNone: () => "error",
              onSome: ({ error }) => error._tag === "QuayRateLimited" ? "429" : "status" in error && error.status !== undefined ? String(error.status) : "error"
            })
        })
        const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
        yield* QuayMetrics.record(endpointOf(request.path), request.method, status, seconds)
        return yield* exit
      })

    const attempt = (request: QuayRequest): Effect.Effect<QuayReply, AttemptFailure> =>
      Effect.gen(function*() {
        const token = yield* Effect.mapError(currentToken, (error): AttemptFailure => ({ error, requestSent: false }))
        // Cut out of error details, should a proxy ever echo the Authorization header back.
        const secrets = [Redacted.value(token)]
        const response = yield* client.execute(toHttp(request, token)).pipe(
          Effect.mapError((error): AttemptFailure => ({
            error: new QuayUnavailable({
              detail: error._tag === "RequestError"
                ? `${error.reason === "Transport" ? "network error" : error.reason}${
                  error.cause === undefined ? "" : `: ${causeText(error.cause)}`
                }`
                : `bad response: ${causeText(error.cause)}`
            }),
            requestSent: !(error._tag === "RequestError" && error.reason === "Transport" && connectionNeverMade(error.cause))
          }))
        )
        yield* Effect.annotateCurrentSpan("http.response.status_code", response.status)
        const body = yield* Effect.mapError(readBody(response, config.maxResponseBytes), sent)
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
        return failure === undefined ? reply : yield* Effect.fail(sent(failure))
      }).pipe(
        Effect.timeoutFail({
          duration: config.timeout,
          onTimeout: () => sent(new QuayUnavailable({ detail: `no complete answer within ${timeoutText}` }))
        }),
        (sending) => measured(request, sending),
        limit.limited,
        inFlight.withPermits(1),
        Effect.tapError(({ error, requestSent }) =>
          Effect.logDebug(`Quay ${request.method} ${request.path} failed: ${error.message}`).pipe(
            Effect.annotateLogs({ transient: error.transient, requestSent })
          )
        )
      )

    const schedule = Schedule.mapInput(options.retryPolicy, (failure: AttemptFailure) => failure.error)

    return {
      send: (request) =>
        attempt(request).pipe(
          Effect.retry({ schedule, while: (failure) => mayRetry(request.method, failure) }),
          Effect.mapError((failure) => failure.error)
        )
    }
  })
