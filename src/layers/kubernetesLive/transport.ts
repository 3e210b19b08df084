/**
 * Requests to the apiserver and their answers: one keep-alive connection pool with the kubeconfig's TLS
 * material, credentials asked for on every request, JSON bodies, and non-2xx answers as typed errors.
 */
import type * as Https from "node:https"
// Module paths, not the package barrels: those load every module (HttpApi's bundled UIs, cluster, workers).
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type { HttpClientError } from "@effect/platform/HttpClientError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { KubeConfig } from "@kubernetes/client-node"
import { Duration, Effect, type Scope } from "effect"
import { failureMessage } from "../../domain/FailureMessage.ts"
import type { KubernetesError } from "../../services/KubernetesError.ts"
import { KubernetesUnavailable } from "../../services/KubernetesError.ts"
import { fromStatus, type Subject } from "./apiErrors.ts"
import { KubeConfigError } from "./KubeConfigError.ts"

export interface Call {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  readonly path: string
  readonly query?: Record<string, string | undefined>
  readonly body?: { readonly contentType: string; readonly value: unknown }
  readonly subject: Subject
}

export interface Transport {
  /** The request for a call, with fresh credentials. */
  readonly request: (call: Call) => Effect.Effect<HttpClientRequest.HttpClientRequest, KubernetesError>
  /** Sends a request and hands back the response as it starts (for watches, which stream). */
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, KubernetesUnavailable>
  /** One request, answered by a JSON body (undefined when empty); non-2xx answers become typed errors. */
  readonly send: (call: Call) => Effect.Effect<unknown, KubernetesError>
  /** Limit for one non-watch request; beyond it the call fails with KubernetesUnavailable. */
  readonly requestTimeout: Duration.Duration
}

/** The TLS material of the kubeconfig's current cluster and user, for the connection pool. */
const tlsOptions = (kc: KubeConfig): Effect.Effect<Https.AgentOptions, KubeConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const opts: Https.RequestOptions = {}
      await kc.applyToHTTPSOptions(opts)
      const agent: Https.AgentOptions = { keepAlive: true }
      if (opts.ca !== undefined) agent.ca = opts.ca
      if (opts.cert !== undefined) agent.cert = opts.cert
      if (opts.key !== undefined) agent.key = opts.key
      if (opts.pfx !== undefined) agent.pfx = opts.pfx
      if (opts.passphrase !== undefined) agent.passphrase = opts.passphrase
      if (opts.rejectUnauthorized !== undefined) agent.rejectUnauthorized = opts.rejectUnauthorized
      if (opts.servername !== undefined) agent.servername = opts.servername
      return agent
    },
    catch: (cause) => new KubeConfigError({ detail: `reading TLS settings: ${failureMessage(cause)}` })
  })

/**
 * Per-request credentials: asking the KubeConfig each time picks up rotated in-cluster tokens and
 * refreshed exec-plugin tokens.
 */
const authHeaders = (kc: KubeConfig): Effect.Effect<Record<string, string>, KubernetesUnavailable> =>
  Effect.tryPromise({
    try: async () => {
      const opts: Https.RequestOptions = {}
      await kc.applyToHTTPSOptions(opts)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (typeof value === "string") headers[name] = value
        else if (typeof value === "number") headers[name] = String(value)
      }
      if (typeof opts.auth === "string") headers["Authorization"] = `Basic ${Buffer.from(opts.auth).toString("base64")}`
      return headers
    },
    // The cause may carry credentials: keep only its message.
    catch: (cause) => new KubernetesUnavailable({ detail: `could not obtain credentials: ${failureMessage(cause)}` })
  })

export const transportError = (error: HttpClientError): KubernetesUnavailable =>
  new KubernetesUnavailable({
    detail: error._tag === "RequestError"
      ? `request failed (${error.reason}): ${failureMessage(error.cause, error.message)}`
      : `reading the response failed (${error.reason})`
  })

export const parseJson = (text: string, subject: Subject): Effect.Effect<unknown, KubernetesUnavailable> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () =>
      new KubernetesUnavailable({ detail: `the apiserver sent a body that is not JSON for ${subject.kind} ${subject.name}` })
  })

/** The transport to the kubeconfig's current cluster; the connection pool lives as long as the scope. */
export const makeTransport = (
  kc: KubeConfig,
  requestTimeout: Duration.Duration
): Effect.Effect<Transport, KubeConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const cluster = kc.getCurrentCluster()
    if (cluster === null) return yield* new KubeConfigError({ detail: "the kubeconfig has no current cluster" })
    const server = cluster.server.replace(/\/+$/, "")
    const agent = yield* NodeHttpClient.makeAgent(yield* tlsOptions(kc))
    const client: HttpClient.HttpClient = yield* NodeHttpClient.make.pipe(
      Effect.provideService(NodeHttpClient.HttpAgent, agent)
    )

    const request = (call: Call): Effect.Effect<HttpClientRequest.HttpClientRequest, KubernetesError> =>
      Effect.gen(function*() {
        const headers = yield* authHeaders(kc)
        let req = HttpClientRequest.make(call.method)(`${server}${call.path}`).pipe(
          HttpClientRequest.setHeaders(headers),
          HttpClientRequest.acceptJson
        )
        for (const [key, value] of Object.entries(call.query ?? {})) {
          if (value !== undefined) req = HttpClientRequest.setUrlParam(req, key, value)
        }
        if (call.body !== undefined) {
          req = HttpClientRequest.bodyText(req, JSON.stringify(call.body.value), call.body.contentType)
        }
        return req
      })

    const execute = (req: HttpClientRequest.HttpClientRequest) => client.execute(req).pipe(Effect.mapError(transportError))

    const send = (call: Call): Effect.Effect<unknown, KubernetesError> =>
      Effect.gen(function*() {
        const response = yield* execute(yield* request(call))
        const text = yield* response.text.pipe(Effect.mapError(transportError))
        if (response.status >= 300) {
          // Error bodies are usually a metav1.Status, but proxies answer with anything; the status code decides.
          const body = yield* parseJson(text, call.subject).pipe(Effect.orElseSucceed(() => text))
          return yield* Effect.fail(fromStatus(response.status, body, call.subject))
        }
        return text === "" ? undefined : yield* parseJson(text, call.subject)
      }).pipe(
        Effect.timeoutFail({
          duration: requestTimeout,
          onTimeout: () =>
            new KubernetesUnavailable({
              detail: `${call.method} ${call.path} got no answer within ${Duration.format(requestTimeout)}`
            })
        })
      )

    return { request, execute, send, requestTimeout }
  })
