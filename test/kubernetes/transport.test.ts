/** The live layer's transport on plain node:http: JSON answers, typed errors, the request timeout, streamed lines. */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Exit, type Scope, Stream } from "effect"
import { makeTransport, type Transport } from "../../src/layers/kubernetesLive/transport.ts"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** A local server answering with `handler`; what it was sent is kept in `seen`. */
const serve = (handler: (request: Http.IncomingMessage, response: Http.ServerResponse, body: string) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly url: string; readonly seen: Array<Seen> }>((resume) => {
      const seen: Array<Seen> = []
      const server = Http.createServer((request, response) => {
        let body = ""
        request.setEncoding("utf8")
        request.on("data", (chunk: string) => {
          body += chunk
        })
        request.on("end", () => {
          seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body })
          handler(request, response, body)
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const transportTo = (url: string, timeout: Duration.DurationInput = "5 seconds"): Effect.Effect<Transport, never, Scope.Scope> =>
  makeTransport(
    { server: url, tls: {}, credentials: Effect.succeed({ Authorization: "Bearer test-token" }) },
    Duration.decode(timeout)
  )

const subject = { kind: "ConfigMap", name: "a" }

describe("kubernetesLive transport", () => {
  it.scoped("sends the query, credentials and JSON body, and answers the parsed JSON", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* serve((_, response) => {
        response.writeHead(201, { "content-type": "application/json" })
        response.end(JSON.stringify({ metadata: { name: "a" } }))
      })
      const transport = yield* transportTo(url)
      const answer = yield* transport.send({
        method: "POST",
        path: "/api/v1/namespaces/ns/configmaps",
        query: { fieldManager: "op", absent: undefined },
        body: { contentType: "application/json", value: { metadata: { name: "a" }, data: { k: "é" } } },
        subject
      })
      assert.deepStrictEqual(answer, { metadata: { name: "a" } })
      const request = seen[0]
      assert.strictEqual(request?.method, "POST")
      assert.strictEqual(request?.url, "/api/v1/namespaces/ns/configmaps?fieldManager=op")
      assert.strictEqual(request?.headers.authorization, "Bearer test-token")
      assert.strictEqual(request?.headers["content-type"], "application/json")
      assert.deepStrictEqual(JSON.parse(request?.body ?? ""), { metadata: { name: "a" }, data: { k: "é" } })
    }))

  it.scoped("a non-2xx answer is the typed error of its status; an empty 2xx body is undefined", () =>
    Effect.gen(function*() {
      const { url } = yield* serve((request, response) => {
        if (request.method === "DELETE") {
          response.writeHead(200)
          response.end()
          return
        }
        response.writeHead(404, { "content-type": "application/json" })
        response.end(JSON.stringify({ kind: "Status", code: 404, reason: "NotFound", message: "configmaps \"a\" not found" }))
      })
      const transport = yield* transportTo(url)
      const missing = yield* Effect.exit(transport.send({ method: "GET", path: "/api/v1/namespaces/ns/configmaps/a", subject }))
      assert.isTrue(Exit.isFailure(missing))
      if (Exit.isFailure(missing) && missing.cause._tag === "Fail") assert.strictEqual(missing.cause.error._tag, "KubernetesNotFound")
      else assert.fail("expected a KubernetesNotFound failure")
      assert.isUndefined(yield* transport.send({ method: "DELETE", path: "/api/v1/namespaces/ns/configmaps/a", subject }))
    }))

  it.scoped("no answer within the request timeout is KubernetesUnavailable", () =>
    Effect.gen(function*() {
      const { url } = yield* serve(() => {
        // Never answers.
      })
      const transport = yield* transportTo(url, "200 millis")
      const exit = yield* Effect.exit(transport.send({ method: "GET", path: "/slow", subject }))
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        assert.strictEqual(exit.cause.error._tag, "KubernetesUnavailable")
        assert.include(exit.cause.error.message, "got no answer within")
      } else assert.fail("expected a KubernetesUnavailable failure")
    }))

  it.scoped("a streamed answer comes as lines, whatever the chunks; a refused one with its status and body", () =>
    Effect.gen(function*() {
      const { url } = yield* serve((request, response) => {
        if (request.url?.startsWith("/gone") === true) {
          response.writeHead(410, { "content-type": "application/json" })
          response.end(JSON.stringify({ code: 410, message: "too old" }))
          return
        }
        response.writeHead(200, { "content-type": "application/json" })
        response.write("{\"type\":\"ADDED\"}\n{\"ty")
        setTimeout(() => {
          response.write("pe\":\"MODIFIED\"}\n")
          response.end("{\"type\":\"DELETED\"}")
        }, 20)
      })
      const transport = yield* transportTo(url)
      const opened = yield* transport.open({ method: "GET", path: "/watch", query: { watch: "true" }, subject })
      assert.strictEqual(opened._tag, "Lines")
      if (opened._tag !== "Lines") return
      const lines = Chunk.toReadonlyArray(yield* Stream.runCollect(opened.lines))
      assert.deepStrictEqual(lines, ["{\"type\":\"ADDED\"}", "{\"type\":\"MODIFIED\"}", "{\"type\":\"DELETED\"}"])
      const refused = yield* transport.open({ method: "GET", path: "/gone", subject })
      assert.deepStrictEqual(refused, { _tag: "Refused", status: 410, text: JSON.stringify({ code: 410, message: "too old" }) })
    }))
})
