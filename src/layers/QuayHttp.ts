/**
 * The live `Quay` service: Quay's REST API (api/v1) over HTTP, with Quay's wire quirks turned into the
 * contract's semantics (absent = `Option.none()`, deleting what is absent succeeds, typed errors).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
// The module, not the package barrel, which loads every platform-node module (cluster, workers, sockets).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Config, type ConfigError, type Duration, Effect, Either, Layer, type Schedule, type Scope } from "effect"
import { readFile } from "node:fs/promises"
import { rootCertificates } from "node:tls"
import { Quay } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import {
  configFromEnvironment,
  defaultApiUrl,
  defaults,
  type QuayHttpConfig,
  QuayHttpConfigError,
  resolve,
  type ResolvedQuayHttpConfig
} from "./quayHttp/config.ts"
import { makeQuayClient } from "./quayHttp/client.ts"
import { defaultRetryPolicyOptions, makeRetryPolicy, quayRetryPolicy, type RetryPolicyOptions } from "./quayHttp/retryPolicy.ts"
import { defaultTokenRefresh } from "./quayHttp/token.ts"
import * as FirstUse from "./quayHttp/firstUse.ts"
import * as Http2Client from "./quayHttp/http2Client.ts"
import { makeTransport } from "./quayHttp/transport.ts"
import { failureMessage } from "../domain/FailureMessage.ts"

export {
  configFromEnvironment,
  defaultApiUrl,
  defaultRetryPolicyOptions,
  defaults,
  defaultTokenRefresh,
  makeRetryPolicy,
  type QuayHttpConfig,
  QuayHttpConfigError,
  quayRetryPolicy,
  type RetryPolicyOptions
}

/** Options for tests and tuning that are not part of the deployment configuration. */
export interface QuayHttpOptions {
  /** Replaces `quayRetryPolicy` (e.g. a tiny schedule in tests). */
  readonly retryPolicy?: Schedule.Schedule<unknown, QuayError>
  /** How long a token read from `tokenFile` is used before the file is read again; default 30 seconds. */
  readonly tokenRefresh?: Duration.DurationInput
}

/**
 * Builds the service on an `HttpClient` from the context. Scoped: the rate limiter's refill fiber lives in it.
 */
export const make = (
  config: QuayHttpConfig,
  options: QuayHttpOptions = {}
): Effect.Effect<Quay, QuayHttpConfigError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = yield* resolve(config)
    const transport = yield* makeTransport(resolved, {
      retryPolicy: options.retryPolicy ?? quayRetryPolicy,
      tokenRefresh: options.tokenRefresh
    })
    return makeQuayClient({ organization: resolved.organization, registryHost: resolved.registryHost, send: transport.send })
  })

/**
 * The self-check of the token's reach (`Quay.verifyAccess`): one clear Error log naming the permissions the token
 * lacks, by the names Quay's UI shows, instead of a stream of refused reconciles to puzzle over. It never fails the
 * operator: a token rotated through the mounted Secret is picked up without a restart. It costs three requests, so
 * the operator runs it in the background at its first real Quay call (`checkedOnFirstUse`), not at start-up: a
 * restart with nothing to do asks Quay nothing.
 */
export const selfCheck: Effect.Effect<void, never, Quay> = Effect.gen(function*() {
  const quay = yield* Quay
  yield* quay.verifyAccess().pipe(
    Effect.zipRight(Effect.logInfo(`the Quay token reaches what the operator needs in organization '${quay.organization}'`)),
    Effect.catchAll((error) =>
      error._tag === "QuayUnauthorized"
        ? Effect.logError(error.message)
        : Effect.logWarning(`could not check the Quay token's permissions: ${error.message}`)
    )
  )
})

/**
 * The Quay service from the context for the controllers, with `selfCheck` run once at their first call, and the
 * signal of that call (for the availability probe's first run). See `quayHttp/firstUse.ts`.
 */
export const checkedOnFirstUse: Effect.Effect<FirstUse.FirstUse, never, Quay | Scope.Scope> = FirstUse.withCheck(selfCheck)

/** The additional CA bundle, read once at start. */
const additionalCa = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) =>
      new QuayHttpConfigError({ reason: `cannot read the additional CA bundle '${path}': ${failureMessage(cause)}` })
  })

/**
 * Node's HTTP client (HTTP/1.1 with keep-alive, or HTTP/2 on one connection with `http2`), trusting the system
 * roots plus the extra CA bundle if one is configured.
 */
const nodeHttpClient = (resolved: ResolvedQuayHttpConfig): Layer.Layer<HttpClient.HttpClient, QuayHttpConfigError> => {
  const caPath = resolved.additionalCaPath
  if (resolved.http2) {
    return caPath === undefined
      ? Http2Client.layer()
      : Layer.unwrapEffect(Effect.map(additionalCa(caPath), (pem) => Http2Client.layer({ ca: [...rootCertificates, pem] })))
  }
  const agent = (ca?: ReadonlyArray<string>) =>
    NodeHttpClient.layerWithoutAgent.pipe(Layer.provide(NodeHttpClient.makeAgentLayer({ ...keepAlive, ...(ca === undefined ? {} : { ca: [...ca] }) })))
  return caPath === undefined
    ? agent()
    : Layer.unwrapEffect(Effect.map(additionalCa(caPath), (pem) => agent([...rootCertificates, pem])))
}

/**
 * Connections are kept open between requests: a new Agent does not keep them by default, and each request would
 * pay a TCP (and against quay.io a TLS) handshake. Node drops an idle socket before the server's Keep-Alive timeout.
 */
const keepAlive = { keepAlive: true, maxSockets: 64 } as const

/** The live layer on Node's HTTP client. */
export const layer = (config: QuayHttpConfig, options: QuayHttpOptions = {}): Layer.Layer<Quay, QuayHttpConfigError> =>
  Either.match(resolve(config), {
    onLeft: (error) => Layer.fail(error),
    onRight: (resolved) => Layer.scoped(Quay, make(config, options)).pipe(Layer.provide(nodeHttpClient(resolved)))
  })

/**
 * The live layer with its configuration read from `Config`s (as `PgClient.layerConfig`), e.g.
 * `layerConfig(configFromEnvironment)` or `layerConfig({ apiUrl: Config.string("URL"), ... })`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<QuayHttpConfig>,
  options: QuayHttpOptions = {}
): Layer.Layer<Quay, QuayHttpConfigError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), (loaded) => layer(loaded, options)))
