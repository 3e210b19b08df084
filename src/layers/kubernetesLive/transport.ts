/**
 * Requests to the apiserver and their answers: one keep-alive connection pool with the kubeconfig's TLS
 * material, credentials asked for on every request, JSON bodies, and non-2xx answers as typed errors.
 */
// Module paths, not the package barrels: those load every module (HttpApi's bundled UIs, cluster, workers).
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type { HttpClientError } from "@effect/platform/HttpClientError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Duration, Effect, type Scope } from "effect"
import { failureMessage } from "../../domain/FailureMessage.ts"
import type { KubernetesError } from "../../services/KubernetesError.ts"
import { KubernetesUnavailable } from "../../services/KubernetesError.ts"
import { fromStatus, type Subject } from "./apiErrors.ts"
import type { ApiserverAccess } from "./ApiserverAccess.ts"

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

/** The transport to the kubeconfig's apiserver; the connection pool lives as long as the scope. */
export const makeTransport = (
  access: ApiserverAccess,
  requestTimeout: Duration.Duration
): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { server } = access
    const agent = yield* NodeHttpClient.makeAgent({ keepAlive: true, ...access.tls })
    const client: HttpClient.HttpClient = yield* NodeHttpClient.make.pipe(
      Effect.provideService(NodeHttpClient.HttpAgent, agent)
    )

    const request = (call: Call): Effect.Effect<HttpClientRequest.HttpClientRequest, KubernetesError> =>
      Effect.gen(function*() {
        const headers = yield* access.credentials
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
