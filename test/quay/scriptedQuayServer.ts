/** A scripted Quay for QuayHttp's tests: an HTTP server on 127.0.0.1:0 whose script gives each request its answer,
 * Quay's answer shapes, the layer's configuration against it, and checks that no token leaks. */
import { HttpClient, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { assert } from "@effect/vitest"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import { Quay } from "../../src/services/Quay.ts"
import { type QuayError } from "../../src/services/QuayError.ts"
import { typedFailure } from "../support/typedFailure.ts"

export const operatorToken = "op-token-7f3a9c1e5b2d"
export const robotToken = "ROBOTTOKEN0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHI"
export const org = "acme"

export interface Received {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly contentType: string | undefined
  readonly body: string
}

export interface PlainAnswer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

export type Answer =
  | PlainAnswer
  /** Streams `bytes` of JSON-ish filler without a Content-Length. */
  | { readonly status: number; readonly streamBytes: number }
  /** Never answers. */
  | "hang"

export const json = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): PlainAnswer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: `${JSON.stringify(body)}\n`
})

export const apiException = (status: number, detail: string, errorType = "invalid_request"): PlainAnswer =>
  json(status, {
    detail,
    error_message: detail,
    error_type: errorType,
    title: errorType,
    type: `https://quay.io/api/v1/error/${errorType}`,
    status
  })

export const htmlPage = (status: number, title: string, headers: Readonly<Record<string, string>> = {}): PlainAnswer => ({
  status,
  headers: { "content-type": "text/html", ...headers },
  body: `<html>\r\n<head><title>${title}</title></head>\r\n<body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>\r\n`
})

export const robotBody = (shortName: string, token = robotToken) => ({
  name: `${org}+${shortName}`,
  created: "Tue, 01 Apr 2025 10:00:00 -0000",
  last_accessed: null,
  description: "push robot",
  token,
  unstructured_metadata: {}
})

export const repositoryBody = (name: string, isPublic = true) => ({
  namespace: org,
  name,
  kind: "image",
  description: null,
  is_public: isPublic,
  is_organization: true,
  is_starred: false,
  status_token: "",
  trust_enabled: false,
  tag_expiration_s: 1209600,
  is_free_account: true,
  state: "NORMAL",
  can_write: true,
  can_admin: true
})

export interface StubServer {
  readonly url: string
  readonly received: Array<Received>
}

export const stubServer = (script: (request: Received, index: number) => Answer): Effect.Effect<StubServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly stub: StubServer }>((resume) => {
      const received: Array<Received> = []
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const request: Received = {
            method: req.method ?? "",
            url: req.url ?? "",
            authorization: req.headers.authorization,
            contentType: req.headers["content-type"],
            body: Buffer.concat(chunks).toString("utf8")
          }
          received.push(request)
          const answer = script(request, received.length - 1)
          if (answer === "hang") return
          res.on("error", () => undefined)
          if ("streamBytes" in answer) {
            res.writeHead(answer.status, { "content-type": "application/json" })
            const chunk = Buffer.alloc(64 * 1024, 0x20)
            let sent = 0
            const pump = (): void => {
              while (sent < answer.streamBytes) {
                sent += chunk.length
                if (!res.write(chunk)) {
                  res.once("drain", pump)
                  return
                }
              }
              res.end()
            }
            pump()
            return
          }
          res.writeHead(answer.status, answer.headers ?? {})
          res.end(answer.body ?? "")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ server, stub: { url: `http://127.0.0.1:${port}`, received } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ stub }) => stub))

/** Retries quickly so live tests count attempts without waiting; the real schedule is tested under TestClock in QuayHttp.timing.test.ts. */
export const quickRetries = QuayHttp.makeRetryPolicy({
  base: "1 millis",
  factor: 1,
  cap: "2 millis",
  maxRetries: 3,
  maxRetryAfter: "1 second"
})

export const config = (url: string, overrides: Partial<QuayHttp.QuayHttpConfig> = {}): QuayHttp.QuayHttpConfig => ({
  apiUrl: `${url}/api/v1`,
  organization: org,
  token: Redacted.make(operatorToken),
  ...overrides
})

/** The live layer (Node's HTTP client) pointed at a stub. */
export const liveQuay = (url: string, overrides: Partial<QuayHttp.QuayHttpConfig> = {}, retryPolicy = quickRetries) =>
  Layer.build(QuayHttp.layer(config(url, overrides), { retryPolicy })).pipe(Effect.map(Context.get(Quay)))

/** Quay over a stub that answers every request with the same scripted answer. */
export const quayAnswering = (answer: Answer | ((index: number) => Answer), overrides: Partial<QuayHttp.QuayHttpConfig> = {}) =>
  Effect.gen(function*() {
    const stub = yield* stubServer((_, index) => (typeof answer === "function" ? answer(index) : answer))
    const quay = yield* liveQuay(stub.url, overrides)
    return { quay, stub }
  })

export const failure = <A>(effect: Effect.Effect<A, QuayError>) => typedFailure(effect)

export const assertNoSecrets = (text: string, what: string) => {
  assert.notInclude(text, operatorToken, `${what} leaks the operator token`)
  assert.notInclude(text, robotToken, `${what} leaks a robot token`)
}

export const assertErrorHasNoSecrets = (error: QuayError) => {
  assertNoSecrets(error.message, "message")
  assertNoSecrets(String(error), "String(error)")
  assertNoSecrets(JSON.stringify(error), "JSON of the error")
  assertNoSecrets(JSON.stringify(Object.entries(error)), "the error's fields")
}

// For tests under TestClock: an HttpClient that answers from a script with no I/O besides reading a web Response body.
export interface FakeServer {
  readonly client: HttpClient.HttpClient
  readonly requests: Array<string>
}

export const fakeServer = (
  answer: (request: HttpClientRequest.HttpClientRequest, index: number) => Effect.Effect<{
    readonly status: number
    readonly body?: string
    readonly headers?: Readonly<Record<string, string>>
  }>
): FakeServer => {
  const requests: Array<string> = []
  const client = HttpClient.make((request, url) =>
    Effect.suspend(() => {
      requests.push(`${request.method} ${url.pathname}`)
      return answer(request, requests.length - 1)
    }).pipe(
      Effect.map((reply) =>
        HttpClientResponse.fromWeb(
          request,
          new Response(reply.body ?? null, { status: reply.status, headers: reply.headers ?? {} })
        )
      )
    )
  )
  return { client, requests }
}

export const fakeQuay = (server: FakeServer, overrides: Partial<QuayHttp.QuayHttpConfig> = {}) =>
  QuayHttp.make({ ...config("http://quay.test"), timeout: "10 minutes", ...overrides }).pipe(
    Effect.provideService(HttpClient.HttpClient, server.client)
  )

export const repositoryOk = { status: 200, body: JSON.stringify(repositoryBody("t/a")) }
