/**
 * Requests to the apiserver and their answers: one keep-alive connection pool with the kubeconfig's TLS
 * material, credentials asked for on every request, JSON bodies, and non-2xx answers as typed errors.
 *
 * Plain node:http(s) under Effect.async rather than @effect/platform's HttpClient: every reconcile makes several
 * of these calls, and the generic client's request/response models, header objects and body streams cost about
 * five times the CPU of the request itself (measured in the burst benchmark). The live operator's own spans
 * (KubernetesLive.ts) still wrap each call.
 */
import * as Http from "node:http"
import * as Https from "node:https"
import { Chunk, Duration, Effect, type Scope, Stream } from "effect"
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

/** A streaming answer (a watch): its status, and its body as lines, or whole when it is not a 200. */
export type Opened =
  | { readonly _tag: "Lines"; readonly lines: Stream.Stream<string, KubernetesUnavailable> }
  | { readonly _tag: "Refused"; readonly status: number; readonly text: string }

export interface Transport {
  /** One request, answered by a JSON body (undefined when empty); non-2xx answers become typed errors. */
  readonly send: (call: Call) => Effect.Effect<unknown, KubernetesError>
  /**
   * A request whose answer streams (a watch): opened within the request timeout, its lines then flow for as long
   * as the apiserver keeps the connection; interrupting the stream closes it.
   */
  readonly open: (call: Call) => Effect.Effect<Opened, KubernetesError>
  /** Limit for one non-watch request; beyond it the call fails with KubernetesUnavailable. */
  readonly requestTimeout: Duration.Duration
}

export const parseJson = (text: string, subject: Subject): Effect.Effect<unknown, KubernetesUnavailable> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () =>
      new KubernetesUnavailable({ detail: `the apiserver sent a body that is not JSON for ${subject.kind} ${subject.name}` })
  })

const requestFailed = (cause: unknown): KubernetesUnavailable =>
  new KubernetesUnavailable({ detail: `request failed (Transport): ${failureMessage(cause, "connection error")}` })

const readFailed = (cause: unknown): KubernetesUnavailable =>
  new KubernetesUnavailable({ detail: `reading the response failed (Decode): ${failureMessage(cause, "connection error")}` })

/** The path with its query, leaving out absent parameters. */
const target = (call: Call): string => {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(call.query ?? {})) {
    if (value !== undefined) params.set(key, value)
  }
  const query = params.toString()
  return query === "" ? call.path : `${call.path}?${query}`
}

/** Splits a stream of text chunks into lines; a trailing partial line waits for the next chunk. */
const lineSplitter = () => {
  let pending = ""
  return {
    push: (chunk: string): Array<string> => {
      const parts = (pending + chunk).split("\n")
      pending = parts.pop() ?? ""
      return parts
    },
    rest: (): Array<string> => (pending === "" ? [] : [pending])
  }
}

/** The transport to the kubeconfig's apiserver; the connection pool lives as long as the scope. */
export const makeTransport = (
  access: ApiserverAccess,
  requestTimeout: Duration.Duration
): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function*() {
    const url = new URL(access.server)
    const secure = url.protocol === "https:"
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() => (secure ? new Https.Agent({ keepAlive: true, ...access.tls }) : new Http.Agent({ keepAlive: true }))),
      (pool) => Effect.sync(() => pool.destroy())
    )
    const request = secure ? Https.request : Http.request
    const base = url.pathname.replace(/\/+$/, "")
    const timeoutMillis = Duration.toMillis(requestTimeout)

    /** Starts a request with fresh credentials; `onResponse` gets the answer as it starts. */
    const start = (
      call: Call,
      headers: Record<string, string>,
      onResponse: (response: Http.IncomingMessage) => void,
      onError: (error: Error) => void
    ): Http.ClientRequest => {
      const body = call.body === undefined ? undefined : JSON.stringify(call.body.value)
      const req = request({
        agent,
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port,
        method: call.method,
        path: `${base}${target(call)}`,
        headers: {
          ...headers,
          accept: "application/json",
          ...(call.body === undefined || body === undefined
            ? {}
            : { "content-type": call.body.contentType, "content-length": String(Buffer.byteLength(body)) })
        }
      }, onResponse)
      req.on("error", onError)
      req.end(body)
      return req
    }

    const exchange = (call: Call): Effect.Effect<{ readonly status: number; readonly text: string }, KubernetesUnavailable> =>
      Effect.flatMap(access.credentials, (headers) =>
        Effect.async<{ readonly status: number; readonly text: string }, KubernetesUnavailable>((resume) => {
          let settled = false
          const finish = (result: Effect.Effect<{ readonly status: number; readonly text: string }, KubernetesUnavailable>) => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            resume(result)
          }
          const req = start(call, headers, (response) => {
            let text = ""
            response.setEncoding("utf8")
            response.on("data", (chunk: string) => {
              text += chunk
            })
            response.on("end", () => finish(Effect.succeed({ status: response.statusCode ?? 0, text })))
            response.on("error", (error) => finish(Effect.fail(readFailed(error))))
            response.on("close", () => {
              if (!settled) finish(Effect.fail(readFailed(new Error("the connection closed mid-answer"))))
            })
          }, (error) => finish(Effect.fail(requestFailed(error))))
          const timer = setTimeout(() => {
            finish(Effect.fail(
              new KubernetesUnavailable({
                detail: `${call.method} ${call.path} got no answer within ${Duration.format(requestTimeout)}`
              })
            ))
            req.destroy()
          }, timeoutMillis)
          return Effect.sync(() => {
            settled = true
            clearTimeout(timer)
            req.destroy()
          })
        }))

    const answered = (call: Call, status: number, text: string): Effect.Effect<unknown, KubernetesError> => {
      if (status >= 300) {
        // Error bodies are usually a metav1.Status, but proxies answer with anything; the status code decides.
        return Effect.flatMap(
          parseJson(text, call.subject).pipe(Effect.orElseSucceed(() => text)),
          (body) => Effect.fail(fromStatus(status, body, call.subject))
        )
      }
      return text === "" ? Effect.succeed(undefined) : parseJson(text, call.subject)
    }

    const send = (call: Call): Effect.Effect<unknown, KubernetesError> =>
      Effect.flatMap(exchange(call), ({ status, text }) =>
        // What an HTTP client span would record, on the caller's span; the token is never an attribute.
        Effect.zipRight(
          Effect.annotateCurrentSpan({ "http.request.method": call.method, "http.response.status_code": status }),
          answered(call, status, text)
        ))

    const open = (call: Call): Effect.Effect<Opened, KubernetesError> =>
      Effect.flatMap(access.credentials, (headers) =>
        Effect.async<Opened, KubernetesUnavailable>((resume) => {
          let settled = false
          let req: Http.ClientRequest | undefined
          const finish = (result: Effect.Effect<Opened, KubernetesUnavailable>) => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            resume(result)
          }
          req = start(call, headers, (response) => {
            response.setEncoding("utf8")
            if (response.statusCode !== 200) {
              let text = ""
              response.on("data", (chunk: string) => {
                text += chunk
              })
              response.on("end", () => finish(Effect.succeed({ _tag: "Refused", status: response.statusCode ?? 0, text })))
              response.on("error", () => finish(Effect.succeed({ _tag: "Refused", status: response.statusCode ?? 0, text })))
              return
            }
            // Paused until the stream is run, so no line is lost in between.
            response.pause()
            const opened = req
            finish(Effect.succeed({ _tag: "Lines", lines: linesOf(response, () => opened?.destroy()) }))
          }, (error) => finish(Effect.fail(requestFailed(error))))
          const timer = setTimeout(() => {
            finish(Effect.fail(new KubernetesUnavailable({ detail: `${call.method} ${call.path} was not accepted in time` })))
            req?.destroy()
          }, timeoutMillis)
          return Effect.sync(() => {
            settled = true
            clearTimeout(timer)
            req?.destroy()
          })
        }))

    return { send, open, requestTimeout }
  })


/** The lines of a streaming answer; closing the stream closes the connection. */
const linesOf = (response: Http.IncomingMessage, close: () => void): Stream.Stream<string, KubernetesUnavailable> =>
  Stream.async<string, KubernetesUnavailable>((emit) => {
    const lines = lineSplitter()
    response.on("data", (chunk: string) => {
      const complete = lines.push(chunk)
      if (complete.length > 0) void emit.chunk(Chunk.unsafeFromArray(complete))
    })
    response.on("end", () => {
      const rest = lines.rest()
      if (rest.length > 0) void emit.chunk(Chunk.unsafeFromArray(rest))
      void emit.end()
    })
    response.on("error", (error) => void emit.fail(readFailed(error)))
    response.on("close", () => {
      if (!response.complete) void emit.fail(readFailed(new Error("the connection closed mid-stream")))
    })
    response.resume()
    return Effect.sync(close)
  }, "unbounded")
