import { HttpClient, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import {
  ConfigProvider,
  Context,
  Deferred,
  Duration,
  Effect,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Schedule,
  type Scope,
  TestClock,
  Tracer
} from "effect"
import * as Fs from "node:fs/promises"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Os from "node:os"
import * as Path from "node:path"
import type { AddressInfo } from "node:net"
import * as Net from "node:net"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import * as QuayHttpRetry from "../../src/layers/quayHttp/retryPolicy.ts"
import { Quay } from "../../src/services/Quay.ts"
import { type QuayError, QuayUnauthorized, QuayUnavailable } from "../../src/services/QuayError.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { quayIoLimit } from "../../src/layers/quayHttp/defaultLimits.ts"
import { typedFailure } from "../support/typedFailure.ts"

const operatorToken = "op-token-7f3a9c1e5b2d"
const robotToken = "ROBOTTOKEN0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHI"
const org = "acme"

// ---------------------------------------------------------------------------------------------------------------
// A scripted HTTP server on 127.0.0.1:0: each request gets the answer the script gives for its index.

interface Received {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly contentType: string | undefined
  readonly body: string
}

interface PlainAnswer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

type Answer =
  | PlainAnswer
  /** Streams `bytes` of JSON-ish filler without a Content-Length. */
  | { readonly status: number; readonly streamBytes: number }
  /** Never answers. */
  | "hang"

const json = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): PlainAnswer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: `${JSON.stringify(body)}\n`
})

const apiException = (status: number, detail: string, errorType = "invalid_request"): PlainAnswer =>
  json(status, {
    detail,
    error_message: detail,
    error_type: errorType,
    title: errorType,
    type: `https://quay.io/api/v1/error/${errorType}`,
    status
  })

const htmlPage = (status: number, title: string, headers: Readonly<Record<string, string>> = {}): PlainAnswer => ({
  status,
  headers: { "content-type": "text/html", ...headers },
  body: `<html>\r\n<head><title>${title}</title></head>\r\n<body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>\r\n`
})

const robotBody = (shortName: string, token = robotToken) => ({
  name: `${org}+${shortName}`,
  created: "Tue, 01 Apr 2025 10:00:00 -0000",
  last_accessed: null,
  description: "push robot",
  token,
  unstructured_metadata: {}
})

const repositoryBody = (name: string, isPublic = true) => ({
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

interface StubServer {
  readonly url: string
  readonly received: Array<Received>
}

const stubServer = (script: (request: Received, index: number) => Answer): Effect.Effect<StubServer, never, Scope.Scope> =>
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

/** Retries quickly so live tests count attempts without waiting; the real schedule is tested under TestClock below. */
const quickRetries = QuayHttp.makeRetryPolicy({
  base: "1 millis",
  factor: 1,
  cap: "2 millis",
  maxRetries: 3,
  maxRetryAfter: "1 second"
})

const config = (url: string, overrides: Partial<QuayHttp.QuayHttpConfig> = {}): QuayHttp.QuayHttpConfig => ({
  apiUrl: `${url}/api/v1`,
  organization: org,
  token: Redacted.make(operatorToken),
  ...overrides
})

/** The live layer (Node's HTTP client) pointed at a stub. */
const liveQuay = (url: string, overrides: Partial<QuayHttp.QuayHttpConfig> = {}, retryPolicy = quickRetries) =>
  Layer.build(QuayHttp.layer(config(url, overrides), { retryPolicy })).pipe(Effect.map(Context.get(Quay)))

/** Quay over a stub that answers every request with the same scripted answer. */
const quayAnswering = (answer: Answer | ((index: number) => Answer), overrides: Partial<QuayHttp.QuayHttpConfig> = {}) =>
  Effect.gen(function*() {
    const stub = yield* stubServer((_, index) => (typeof answer === "function" ? answer(index) : answer))
    const quay = yield* liveQuay(stub.url, overrides)
    return { quay, stub }
  })

const failure = <A>(effect: Effect.Effect<A, QuayError>) => typedFailure(effect)

const assertNoSecrets = (text: string, what: string) => {
  assert.notInclude(text, operatorToken, `${what} leaks the operator token`)
  assert.notInclude(text, robotToken, `${what} leaks a robot token`)
}

const assertErrorHasNoSecrets = (error: QuayError) => {
  assertNoSecrets(error.message, "message")
  assertNoSecrets(String(error), "String(error)")
  assertNoSecrets(JSON.stringify(error), "JSON of the error")
  assertNoSecrets(JSON.stringify(Object.entries(error)), "the error's fields")
}

// ---------------------------------------------------------------------------------------------------------------

describe("QuayHttp against a scripted server", () => {
  describe("requests", () => {
    it.scopedLive("sends the bearer token, JSON bodies and Quay's real paths", () =>
      Effect.gen(function*() {
        const stub = yield* stubServer((request) => {
          if (request.method === "PUT" && request.url.includes("/robots/")) return json(201, robotBody("tenant_build_1234567890"))
          if (request.method === "GET" && request.url.includes("/permissions/user/")) return json(200, { permissions: {} })
          if (request.method === "PUT") return json(200, { role: "write", name: `${org}+r`, is_robot: true })
          return json(201, { namespace: org, name: "tenant/app", kind: "image" })
        })
        const quay = yield* liveQuay(stub.url)
        yield* quay.createRepository({ name: "tenant/app", visibility: "public", description: "d" })
        yield* quay.createRobot("tenant_build_1234567890", "push robot")
        yield* quay.setPermission("tenant/app", `${org}+tenant_build_1234567890`, "write")
        yield* quay.listPermissions("tenant/app")

        assert.deepStrictEqual(
          stub.received.map((r) => `${r.method} ${r.url}`),
          [
            "POST /api/v1/repository",
            `PUT /api/v1/organization/${org}/robots/tenant_build_1234567890`,
            `PUT /api/v1/repository/${org}/tenant/app/permissions/user/${org}+tenant_build_1234567890`,
            `GET /api/v1/repository/${org}/tenant/app/permissions/user/`
          ]
        )
        for (const request of stub.received) assert.strictEqual(request.authorization, `Bearer ${operatorToken}`)
        assert.deepStrictEqual(JSON.parse(stub.received[0]?.body ?? ""), {
          namespace: org,
          repository: "tenant/app",
          visibility: "public",
          description: "d"
        })
        assert.match(stub.received[0]?.contentType ?? "", /application\/json/)
        assert.deepStrictEqual(JSON.parse(stub.received[2]?.body ?? ""), { role: "write" })
        assert.strictEqual(quay.registryHost, new URL(stub.url).host)
      }))

    it.scopedLive("gets a repository without tags and maps is_public; extra fields are ignored", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(json(200, { ...repositoryBody("tenant/app", false), future_field: [1] }))
        const repository = yield* quay.getRepository("tenant/app")
        assert.deepStrictEqual(repository, Option.some({ namespace: org, name: "tenant/app", visibility: "private" as const, description: null }))
        assert.strictEqual(stub.received[0]?.url, `/api/v1/repository/${org}/tenant/app?includeTags=false`)
      }))

    it.scopedLive("follows next_page until Quay stops sending it", () =>
      Effect.gen(function*() {
        const stub = yield* stubServer((request) => {
          const page = new URL(request.url, "http://x").searchParams.get("next_page")
          if (page === null) return json(200, { repositories: [repositoryBody("a/1"), repositoryBody("a/2")], next_page: "p2" })
          if (page === "p2") return json(200, { repositories: [repositoryBody("a/3", false)], next_page: "p3" })
          return json(200, { repositories: [] })
        })
        const quay = yield* liveQuay(stub.url)
        const repositories = yield* quay.listRepositories()
        assert.deepStrictEqual(repositories.map((r) => `${r.name}:${r.visibility}`), ["a/1:public", "a/2:public", "a/3:private"])
        assert.deepStrictEqual(stub.received.map((r) => r.url), [
          `/api/v1/repository?namespace=${org}`,
          `/api/v1/repository?namespace=${org}&next_page=p2`,
          `/api/v1/repository?namespace=${org}&next_page=p3`
        ])
      }))

    it.scopedLive("a server that repeats a page token is not followed forever", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(json(200, { repositories: [], next_page: "same" }))
        const error = yield* failure(quay.listRepositories())
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.strictEqual(stub.received.length, 2)
      }))

    it.scopedLive("a name with '..' is refused before any request", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(json(200, {}))
        const error = yield* failure(quay.deleteRepository("tenant/../../organization"))
        assert.strictEqual(error._tag, "QuayInvalidRequest")
        assert.strictEqual(stub.received.length, 0)
      }))
  })

  describe("Quay's error shapes become typed errors", () => {
    it.scopedLive("400 'Repository already exists' → QuayRepositoryAlreadyExists", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(apiException(400, "Repository already exists"))
        const error = yield* failure(quay.createRepository({ name: "t/a", visibility: "public", description: "" }))
        assert.strictEqual(error._tag, "QuayRepositoryAlreadyExists")
      }))

    it.scopedLive("402 → QuayPlanLimitExceeded on create and on changevisibility, not retried", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(apiException(402, "Payment Required", "exceeds_license"))
        const created = yield* failure(quay.createRepository({ name: "t/a", visibility: "private", description: "" }))
        const changed = yield* failure(quay.changeVisibility("t/a", "private"))
        assert.strictEqual(created._tag, "QuayPlanLimitExceeded")
        assert.strictEqual(changed._tag, "QuayPlanLimitExceeded")
        assert.strictEqual(stub.received.length, 2)
      }))

    it.scopedLive("400 'Existing robot with name' → QuayRobotAlreadyExists", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(apiException(400, `Existing robot with name: ${org}+r1`))
        const error = yield* failure(quay.createRobot("r1", "d"))
        assert.strictEqual(error._tag, "QuayRobotAlreadyExists")
        assert.include(error.message, `${org}+r1`)
      }))

    it.scopedLive("400 {message: 'Could not find robot…'} → none, delete succeeds, regenerate is QuayNotFound", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(json(400, { message: "Could not find robot with specified username" }))
        assert.deepStrictEqual(yield* quay.getRobot("r1"), Option.none())
        yield* quay.deleteRobot("r1")
        const error = yield* failure(quay.regenerateRobotToken("r1"))
        assert.strictEqual(error._tag, "QuayNotFound")
        assert.strictEqual(stub.received.length, 3)
        assert.strictEqual(stub.received[2]?.url, `/api/v1/organization/${org}/robots/r1/regenerate`)
      }))

    it.scopedLive("400 'User does not have permission for repo.' on delete → success", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(apiException(400, "User does not have permission for repo."))
        yield* quay.deletePermission("t/a", `${org}+r1`)
      }))

    it.scopedLive("404 → none on get, success on delete", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(apiException(404, "Not Found", "not_found"))
        assert.deepStrictEqual(yield* quay.getRepository("t/a"), Option.none())
        yield* quay.deleteRepository("t/a")
      }))

    it.scopedLive("changevisibility answered 200 null → QuayNotFound", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering({ status: 200, headers: { "content-type": "application/json" }, body: "null\n" })
        const error = yield* failure(quay.changeVisibility("t/missing", "public"))
        assert.strictEqual(error._tag, "QuayNotFound")
      }))

    it.scopedLive("403 CSRF {error} with text/html and 401 ApiException → QuayUnauthorized, not retried", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering((index) =>
          index === 0
            ? {
              status: 403,
              headers: { "content-type": "text/html; charset=utf-8" },
              body: JSON.stringify({ error: "CSRF token was invalid or missing." })
            }
            : apiException(401, "Requires authentication", "invalid_token")
        )
        const csrf = yield* failure(quay.deleteRepository("t/a"))
        const unauthenticated = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(csrf._tag, "QuayUnauthorized")
        assert.include(csrf.message, "CSRF token was invalid or missing.")
        assert.strictEqual(unauthenticated._tag, "QuayUnauthorized")
        assert.include(unauthenticated.message, "Requires authentication")
        assert.strictEqual(stub.received.length, 2)
      }))

    it.scopedLive("error text is read from error_message, then message, then error, then detail", () =>
      Effect.gen(function*() {
        const bodies = [
          { detail: "d", error: "e", message: "m", error_message: "em" },
          { detail: "d", error: "e", message: "m" },
          { detail: "d", error: "e" },
          { detail: "d" }
        ]
        const { quay } = yield* quayAnswering((index) => json(400, bodies[index] ?? {}))
        const details: Array<string> = []
        for (let i = 0; i < bodies.length; i++) {
          const error = yield* failure(quay.setPermission("t/a", `${org}+r`, "read"))
          assert.strictEqual(error._tag, "QuayInvalidRequest")
          if (error._tag === "QuayInvalidRequest") details.push(error.detail)
        }
        assert.deepStrictEqual(details, ["em", "m", "e", "d"])
      }))

    it.scopedLive("a multi-line jsonschema error keeps only its first line", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(
          apiException(400, "'foo' is not one of ['public', 'private']\n\nFailed validating 'enum' in schema:\n    {...}")
        )
        const error = yield* failure(quay.changeVisibility("t/a", "public"))
        assert.strictEqual(error._tag, "QuayInvalidRequest")
        assert.strictEqual(error.message, "Quay rejected the request (HTTP 400): 'foo' is not one of ['public', 'private']")
      }))

    it.scopedLive("a 308 redirect (slash-less URL behind a proxy) is a non-transient QuayInvalidRequest", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering({ status: 308, headers: { location: "http://elsewhere/api/v1/x/" }, body: "<html></html>" })
        const error = yield* failure(quay.listRobots())
        assert.strictEqual(error._tag, "QuayInvalidRequest")
        assert.include(error.message, "redirect")
        assert.strictEqual(stub.received.length, 1)
      }))
  })

  describe("bodies that are not Quay's API → QuayUnavailable", () => {
    it.scopedLive("nginx 502 HTML page, retried, detail names the page not its markup", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(htmlPage(502, "502 Bad Gateway"))
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.strictEqual(error.message, "Quay is unavailable (HTTP 502): HTML page '502 Bad Gateway'")
        assert.strictEqual(stub.received.length, 4)
      }))

    it.scopedLive("nginx 429 HTML page without Retry-After → QuayRateLimited after retries", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(htmlPage(429, "429 Too Many Requests"))
        const error = yield* failure(quay.listRobots())
        assert.strictEqual(error._tag, "QuayRateLimited")
        if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, undefined)
        assert.strictEqual(stub.received.length, 4)
      }))

    it.scopedLive("read-only 503 carries Quay's message", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(
          json(503, { message: "System is currently read-only. Pulls will succeed but all write operations are currently suspended.", is_readonly: true })
        )
        const error = yield* failure(quay.deleteRobot("r"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "System is currently read-only.")
      }))

    it.scopedLive("malformed JSON on a 200", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering({ status: 200, headers: { "content-type": "application/json" }, body: "{\"namespace\": " })
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "malformed JSON")
      }))

    it.scopedLive("empty body on a 200 that should carry a robot", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering({ status: 200, body: "" })
        const error = yield* failure(quay.getRobot("r"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "empty body")
      }))

    it.scopedLive("a 200 of the wrong shape names the field, never its value", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(json(200, { name: 42, token: robotToken }))
        const error = yield* failure(quay.getRobot("r"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "field name")
        assertErrorHasNoSecrets(error)
      }))

    it.scopedLive("an unknown role in the permission map is a wrong shape", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(json(200, { permissions: { [`${org}+r`]: { role: "owner" } } }))
        const error = yield* failure(quay.listPermissions("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
      }))

    it.scopedLive("a body over the cap is cut off, whether or not its length is declared", () =>
      Effect.gen(function*() {
        const declared = yield* quayAnswering(
          { status: 200, headers: { "content-type": "application/json" }, body: " ".repeat(256 * 1024) },
          { maxResponseBytes: 64 * 1024 }
        )
        const streamed = yield* quayAnswering({ status: 200, streamBytes: 8 * 1024 * 1024 }, { maxResponseBytes: 64 * 1024 })
        for (const { quay } of [declared, streamed]) {
          const error = yield* failure(quay.listRobots())
          assert.strictEqual(error._tag, "QuayUnavailable")
          assert.include(error.message, "larger than 65536 bytes")
          assert.isBelow(error.message.length, 300)
        }
      }))

    it.scopedLive("a server that never answers → timeout, retried like any transient failure", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering("hang", { timeout: "100 millis" })
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "no complete answer within")
        assert.strictEqual(stub.received.length, 4)
      }))

    it.scopedLive("a refused connection → QuayUnavailable 'network error'", () =>
      Effect.gen(function*() {
        // A port that was just free: listen, note it, close.
        const closed = yield* Effect.scoped(stubServer(() => json(200, {})))
        const quay = yield* liveQuay(closed.url)
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "network error")
      }))
  })

  describe("retries", () => {
    it.scopedLive("transient failures of a read are retried until Quay answers", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering((index) =>
          index === 0 ? htmlPage(502, "502 Bad Gateway") : index === 1 ? htmlPage(429, "429") : json(200, robotBody("r"))
        )
        const robot = yield* quay.getRobot("r")
        assert.isTrue(Option.isSome(robot))
        assert.strictEqual(stub.received.length, 3)
      }))

    it.scopedLive("a write that got a 502 is not retried: Quay may have done it", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering((index) =>
          index === 0 ? htmlPage(502, "502 Bad Gateway") : json(201, { namespace: org, name: "t/a", kind: "image" })
        )
        const error = yield* failure(quay.createRepository({ name: "t/a", visibility: "public", description: "" }))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.strictEqual(stub.received.length, 1)
        assert.strictEqual(stub.received[0]?.method, "POST")
      }))

    it.scopedLive("a read that got a 502 is retried", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering((index) =>
          index === 0 ? htmlPage(502, "502 Bad Gateway") : json(200, repositoryBody("t/a"))
        )
        assert.isTrue(Option.isSome(yield* quay.getRepository("t/a")))
        assert.deepStrictEqual(stub.received.map((r) => r.method), ["GET", "GET"])
      }))

    it.scopedLive("a write whose connection was refused is retried: nothing was sent", () =>
      Effect.gen(function*() {
        // A real refused connect gives the error object Node's client wraps.
        const closed = yield* Effect.scoped(stubServer(() => json(200, {})))
        const refused = yield* Effect.async<unknown>((resume) => {
          const socket = Net.connect(Number(new URL(closed.url).port), "127.0.0.1")
          socket.once("error", (error) => resume(Effect.succeed(error)))
          socket.once("connect", () => {
            socket.destroy()
            resume(Effect.succeed(undefined))
          })
        })
        assert.isTrue(QuayHttpRetry.connectionNeverMade(refused))
        const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
        assert.isFalse(QuayHttpRetry.connectionNeverMade(reset))
        const unavailable = new QuayUnavailable({ detail: "network error" })
        assert.isTrue(QuayHttpRetry.mayRetry("POST", { error: unavailable, requestSent: false }))
        assert.isFalse(QuayHttpRetry.mayRetry("POST", { error: unavailable, requestSent: true }))
        assert.isTrue(QuayHttpRetry.mayRetry("GET", { error: unavailable, requestSent: true }))
        assert.isFalse(
          QuayHttpRetry.mayRetry("GET", { error: new QuayUnauthorized({ status: 401, detail: "x" }), requestSent: true })
        )
      }))

    it.scopedLive("permanent failures are not retried", () =>
      Effect.gen(function*() {
        const answers = [
          apiException(400, "Invalid username: x"),
          apiException(403, "Unauthorized", "insufficient_scope"),
          apiException(402, "Payment Required", "exceeds_license"),
          apiException(404, "Not Found", "not_found")
        ]
        const { quay, stub } = yield* quayAnswering((index) => answers[index] ?? json(500, {}))
        yield* failure(quay.setPermission("t/a", "x", "read"))
        yield* failure(quay.setPermission("t/a", "x", "read"))
        yield* failure(quay.changeVisibility("t/a", "private"))
        yield* failure(quay.regenerateRobotToken("r"))
        assert.strictEqual(stub.received.length, 4)
      }))
  })

  describe("redaction", () => {
    it.scopedLive("tokens reach neither errors nor logs, and robot tokens are Redacted", () =>
      Effect.gen(function*() {
        const logs: Array<string> = []
        const captured = Logger.make(({ message, annotations }) => {
          logs.push(JSON.stringify({ message, annotations: [...annotations] }))
        })
        // Quay (or a proxy) echoing the operator token back must not carry it into errors or logs.
        const stub = yield* stubServer((request) => {
          if (request.method === "GET" && request.url.includes("/repository/")) {
            return json(401, { error: `Invalid token: Bearer ${operatorToken}` })
          }
          if (request.method === "GET" && request.url.includes("/robots?")) return json(500, { message: `internal error for ${operatorToken}` })
          if (request.method === "PUT") return json(201, robotBody("r"))
          if (request.method === "POST") return json(200, robotBody("r"))
          if (request.method === "GET") return json(200, { name: `${org}+r`, token: robotToken, description: 7 })
          return htmlPage(502, `gateway for ${operatorToken}`)
        })
        const quay = yield* liveQuay(stub.url)
        const program = Effect.gen(function*() {
          const errors: Array<QuayError> = []
          errors.push(yield* failure(quay.getRepository("t/a")))
          errors.push(yield* failure(quay.listRobots()))
          const created = yield* quay.createRobot("r", "d")
          const regenerated = yield* quay.regenerateRobotToken("r")
          errors.push(yield* failure(quay.getRobot("r")))
          errors.push(yield* failure(quay.deleteRobot("r")))
          return { errors, robots: [created, regenerated] }
        }).pipe(Logger.withMinimumLogLevel(LogLevel.All), Effect.provide(Logger.replace(Logger.defaultLogger, captured)))
        const { errors, robots } = yield* program

        assert.deepStrictEqual(errors.map((e) => e._tag), [
          "QuayUnauthorized",
          "QuayUnavailable",
          "QuayUnavailable",
          "QuayUnavailable"
        ])
        assert.include(errors[0]?.message ?? "", "<redacted>")
        assert.include(errors[1]?.message ?? "", "<redacted>")
        assert.include(errors[3]?.message ?? "", "<redacted>")
        for (const error of errors) assertErrorHasNoSecrets(error)
        for (const robot of robots) {
          assert.isTrue(Redacted.isRedacted(robot.token))
          assert.strictEqual(Redacted.value(robot.token), robotToken)
          assertNoSecrets(String(robot.token), "String(robot.token)")
          assertNoSecrets(JSON.stringify(robot), "JSON of a robot")
        }
        assert.isAbove(logs.length, 0, "retries are logged at debug level")
        for (const line of logs) assertNoSecrets(line, "a log line")
      }))

    it.scopedLive("spans are named after the operation, carry method, path and status, and no token", () =>
      Effect.gen(function*() {
        const spans: Array<Tracer.Span> = []
        const native = yield* Effect.tracer
        const recording = Tracer.make({
          span: (name, parent, context, links, startTime, kind, options) => {
            const span = native.span(name, parent, context, links, startTime, kind, options)
            spans.push(span)
            return span
          },
          context: (f, fiber) => native.context(f, fiber)
        })
        const { quay } = yield* quayAnswering(json(201, robotBody("r")))
        yield* quay.createRobot("r", "d").pipe(Effect.withTracer(recording))
        const span = spans.find((s) => s.name === "Quay.createRobot")
        assert.isDefined(span)
        assert.strictEqual(span?.attributes.get("http.request.method"), "PUT")
        assert.strictEqual(span?.attributes.get("quay.path"), `/organization/${org}/robots/r`)
        assert.strictEqual(span?.attributes.get("http.response.status_code"), 201)
        for (const s of spans) {
          for (const [key, value] of s.attributes) assertNoSecrets(`${key}=${String(value)}`, `span ${s.name} attribute`)
        }
      }))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Time-dependent behaviour, in process under TestClock: an HttpClient that answers from a script with no I/O
// besides reading a web Response body.

interface FakeServer {
  readonly client: HttpClient.HttpClient
  readonly requests: Array<string>
}

const fakeServer = (
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

const fakeQuay = (server: FakeServer, overrides: Partial<QuayHttp.QuayHttpConfig> = {}) =>
  QuayHttp.make({ ...config("http://quay.test"), timeout: "10 minutes", ...overrides }).pipe(
    Effect.provideService(HttpClient.HttpClient, server.client)
  )

/** Lets forked fibers run (response bodies are read through real promises), boundedly. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))).pipe(Effect.repeatN(20))

const waitFor = (condition: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (condition()) return
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

const repositoryOk = { status: 200, body: JSON.stringify(repositoryBody("t/a")) }

describe("QuayHttp timing (TestClock)", () => {
  it.scoped("a 429 with a Retry-After of a second is waited out before the read is tried again", () =>
    Effect.gen(function*() {
      const server = fakeServer((_, index) =>
        Effect.succeed(index === 0 ? { status: 429, headers: { "retry-after": "1" }, body: "" } : repositoryOk)
      )
      const quay = yield* fakeQuay(server)
      const fiber = yield* Effect.fork(quay.getRepository("t/a"))
      yield* waitFor(() => server.requests.length === 1, "the first attempt")
      yield* TestClock.adjust("900 millis")
      yield* settle
      assert.strictEqual(server.requests.length, 1, "retried before Retry-After elapsed")
      yield* TestClock.adjust("100 millis")
      const repository = yield* Fiber.join(fiber)
      assert.isTrue(Option.isSome(repository))
      assert.strictEqual(server.requests.length, 2)
    }))

  it.scoped("a 429 with Retry-After 30 is not waited out: it surfaces at once with retryAfterSeconds", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed({ status: 429, headers: { "retry-after": "30" }, body: "" }))
      const quay = yield* fakeQuay(server)
      const error = yield* failure(quay.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayRateLimited")
      if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, 30)
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scoped("a Retry-After given as an HTTP date is read as the seconds until then", () =>
    Effect.gen(function*() {
      // TestClock starts at the epoch: this date is 20 s from "now".
      const at = new Date(20_000).toUTCString()
      const server = fakeServer(() => Effect.succeed({ status: 429, headers: { "retry-after": at }, body: "" }))
      const quay = yield* fakeQuay(server)
      const error = yield* failure(quay.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayRateLimited")
      if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, 20)
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scoped("a Retry-After beyond a minute is left to the caller: no retry inside the layer", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed({ status: 429, headers: { "retry-after": "600" }, body: "" }))
      const quay = yield* fakeQuay(server)
      const error = yield* failure(quay.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayRateLimited")
      if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, 600)
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scoped("quayRetryPolicy: a read is retried after ~100 ms, then ~200 ms, and given up after 2 retries", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed({ status: 503, body: "" }))
      const quay = yield* fakeQuay(server)
      const fiber = yield* Effect.fork(Effect.either(quay.getRobot("r")))
      yield* waitFor(() => server.requests.length === 1, "the first attempt")
      // Jitter keeps the first delay within 80..120 ms.
      yield* TestClock.adjust("70 millis")
      yield* settle
      assert.strictEqual(server.requests.length, 1)
      yield* TestClock.adjust("60 millis")
      yield* waitFor(() => server.requests.length === 2, "the first retry")
      for (let i = 0; i < 10 && server.requests.length < 3; i++) {
        yield* TestClock.adjust("100 millis")
        yield* settle
      }
      const result = yield* Fiber.join(fiber)
      assert.isTrue(result._tag === "Left" && result.left._tag === "QuayUnavailable")
      yield* TestClock.adjust("1 minute")
      yield* settle
      assert.strictEqual(server.requests.length, 3)
    }))

  it.scoped("the token bucket lets a burst through, then one request per 1/rate", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed(repositoryOk))
      const quay = yield* fakeQuay(server, { requestsPerSecond: 2, burst: 3, maxConcurrentRequests: 10 })
      const fibers = yield* Effect.forEach(Array.from({ length: 7 }, (_, i) => `t/${i}`), (name) => Effect.fork(quay.getRepository(name)))
      const expectAfter = (count: number) =>
        Effect.gen(function*() {
          yield* waitFor(() => server.requests.length >= count, `${count} requests`)
          yield* settle
          assert.strictEqual(server.requests.length, count)
        })
      yield* expectAfter(3)
      for (const count of [4, 5, 6, 7]) {
        yield* TestClock.adjust("500 millis")
        yield* expectAfter(count)
      }
      yield* Fiber.joinAll(fibers)
    }))

  it.scoped("no more than maxConcurrentRequests are in flight", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      let inFlight = 0
      let peak = 0
      const server = fakeServer(() =>
        Effect.gen(function*() {
          inFlight++
          peak = Math.max(peak, inFlight)
          yield* Deferred.await(gate)
          inFlight--
          return repositoryOk
        })
      )
      const quay = yield* fakeQuay(server, { maxConcurrentRequests: 2, burst: 100, requestsPerSecond: 100 })
      const fibers = yield* Effect.forEach([1, 2, 3, 4, 5], (i) => Effect.fork(quay.getRepository(`t/${i}`)))
      yield* waitFor(() => server.requests.length === 2, "two requests in flight")
      yield* settle
      assert.strictEqual(server.requests.length, 2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      assert.strictEqual(server.requests.length, 5)
      assert.strictEqual(peak, 2)
    }))
})

describe("QuayHttp against the simulator's nginx rate limit", () => {
  it.scopedLive("with quay.io's default limits, a burst of calls never draws a 429 from quay.io's nginx (5 r/s, burst 25)", () =>
    Effect.gen(function*() {
      const simulator = yield* QuaySimulator.start({ organization: org, token: operatorToken, rateLimit: 5, rateLimitBurst: 25 })
      // The limits the client defaults to for quay.io (the simulator is on 127.0.0.1), and no retries: a 429 would
      // surface as a failure instead of being hidden by a retry.
      const quay = yield* Layer.build(
        QuayHttp.layer({ apiUrl: simulator.apiUrl, organization: org, token: Redacted.make(operatorToken), ...quayIoLimit }, {
          retryPolicy: Schedule.stop
        })
      ).pipe(Effect.map(Context.get(Quay)))
      const results = yield* Effect.forEach(
        Array.from({ length: 35 }, (_, i) => `burst/r-${i}`),
        (name) => Effect.either(quay.getRepository(name)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(results.filter((r) => r._tag === "Left"), [])
      const statuses = Object.values(simulator.model.requestCounts().byEndpoint).flatMap((byStatus) => Object.keys(byStatus))
      assert.notInclude(statuses, "429")
      assert.strictEqual(simulator.model.requestCounts().total, 35)
    }))
})

// A self-signed certificate for 127.0.0.1 (valid until 2126), made for this test only: a self-hosted Quay
// whose CA the system does not trust.
const testCaCertificate = `-----BEGIN CERTIFICATE-----
MIIBlTCCATygAwIBAgIUEOuFN9idzr1M0jEmlhm0+MtZlREwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMcXVheS10ZXN0LWNhMCAXDTI2MTEyNDAzMDk0NFoYDzIxMjYx
MDMxMDMwOTQ0WjAXMRUwEwYDVQQDDAxxdWF5LXRlc3QtY2EwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAATQ0EIR4BnaV6wdHhoma3SQ2bNX8M3z1ZQu4U9XrnHQpvHR
tUTQ8/zIdcBXFq1RrvR4gUAoKJpqy9+k/hOCGh0ro2QwYjAdBgNVHQ4EFgQUV0SY
N6cj6OLQDR5jDTvY/wAE9sAwHwYDVR0jBBgwFoAUV0SYN6cj6OLQDR5jDTvY/wAE
9sAwDwYDVR0RBAgwBocEfwAAATAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMC
A0cAMEQCIBTK9dn25jO237BRwEN3Prh1Sqscc1EbqCqB9xS2ZBFBAiBGJqNbJKye
mNCJ0X5kUeqln3E1JDKdIQ7+hz9pX21E+g==
-----END CERTIFICATE-----`
const testServerKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9OyYHTiNTviuVtLh
HY+LN2GfJPLQSVQfBY3bKzD0dcyhRANCAATQ0EIR4BnaV6wdHhoma3SQ2bNX8M3z
1ZQu4U9XrnHQpvHRtUTQ8/zIdcBXFq1RrvR4gUAoKJpqy9+k/hOCGh0r
-----END PRIVATE KEY-----`

const httpsServer = (answer: PlainAnswer) =>
  Effect.acquireRelease(
    Effect.async<Https.Server>((resume) => {
      const server = Https.createServer({ key: testServerKey, cert: testCaCertificate }, (_, res) => {
        res.writeHead(answer.status, answer.headers ?? {})
        res.end(answer.body ?? "")
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `https://127.0.0.1:${(server.address() as AddressInfo).port}`))

const tempFile = (name: string, content: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "quay-ca-"))
      const file = Path.join(dir, name)
      await Fs.writeFile(file, content)
      return file
    }),
    (file) => Effect.promise(() => Fs.rm(Path.dirname(file), { recursive: true, force: true }))
  )

describe("QuayHttp configuration", () => {
  it.effect("reads QUAY_* variables: trimmed, empty means unset, bare numbers are seconds", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        Effect.withConfigProvider(QuayHttp.configFromEnvironment, ConfigProvider.fromMap(new Map(Object.entries(env))))
      const minimal = yield* read({ QUAY_ORG: " acme ", QUAY_TOKEN: "tok\n", QUAY_API_URL: "", QUAY_TIMEOUT: "" })
      assert.strictEqual(minimal.apiUrl, "https://quay.io/api/v1")
      assert.strictEqual(minimal.organization, "acme")
      assert.strictEqual(minimal.token === undefined ? undefined : Redacted.value(minimal.token), "tok")
      assert.strictEqual(minimal.timeout, undefined)
      const full = yield* read({
        QUAY_ORG: "acme",
        QUAY_TOKEN: "tok",
        QUAY_API_URL: "https://quay.example.com/api/v1",
        QUAY_ADDITIONAL_CA: "ca.pem",
        QUAY_TIMEOUT: "5",
        QUAY_RATE_LIMIT: "2.5",
        QUAY_BURST: "10",
        QUAY_HTTP2: " On "
      })
      assert.deepStrictEqual(
        { ...full, token: full.token === undefined ? undefined : Redacted.value(full.token), timeout: Duration.toMillis(Duration.decode(full.timeout ?? 0)) },
        {
          apiUrl: "https://quay.example.com/api/v1",
          organization: "acme",
          token: "tok",
          additionalCaPath: "ca.pem",
          timeout: 5000,
          http2: true,
          requestsPerSecond: 2.5,
          burst: 10,
          maxConcurrentRequests: undefined
        }
      )
      const badTimeout = yield* Effect.flip(read({ QUAY_ORG: "acme", QUAY_TOKEN: "tok", QUAY_TIMEOUT: "soon" }))
      assert.include(String(badTimeout), "QUAY_TIMEOUT")
      assert.strictEqual((yield* read({ QUAY_ORG: "acme", QUAY_TOKEN: "tok", QUAY_HTTP2: "off" })).http2, false)
      const badSwitch = yield* Effect.flip(read({ QUAY_ORG: "acme", QUAY_TOKEN: "tok", QUAY_HTTP2: "maybe" }))
      assert.include(String(badSwitch), "QUAY_HTTP2")
      const missingToken = yield* Effect.flip(read({ QUAY_ORG: "acme" }))
      assert.include(String(missingToken), "QUAY_TOKEN")
    }))

  it.scopedLive("QUAY_ADDITIONAL_CA: a self-hosted Quay with a private CA is trusted only with the bundle", () =>
    Effect.gen(function*() {
      const url = yield* httpsServer(json(200, repositoryBody("t/a")))
      const caPath = yield* tempFile("ca.pem", testCaCertificate)
      const trusting = yield* liveQuay(url, { additionalCaPath: caPath })
      assert.isTrue(Option.isSome(yield* trusting.getRepository("t/a")))
      const untrusting = yield* liveQuay(url)
      const error = yield* failure(untrusting.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayUnavailable")
      assert.match(error.message, /certificate/i)
    }))

  it.effect("an unreadable additional CA bundle fails the layer with a clear error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Layer.build(QuayHttp.layer({ ...config("https://quay.test"), additionalCaPath: "does-not-exist/ca.pem" })).pipe(Effect.scoped)
      )
      assert.strictEqual(error._tag, "QuayHttpConfigError")
      assert.include(error.message, "does-not-exist/ca.pem")
    }))

  it.effect("rejects a bad URL and nonsensical limits when the layer is built", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed(repositoryOk))
      const badUrl = yield* Effect.flip(Effect.scoped(fakeQuay(server, { apiUrl: "not a url" })))
      const badBurst = yield* Effect.flip(Effect.scoped(fakeQuay(server, { burst: 0 })))
      assert.strictEqual(badUrl._tag, "QuayHttpConfigError")
      assert.include(badBurst.message, "burst")
    }))

  it.effect("registryHost is the API URL's host[:port]; a trailing slash is harmless", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed(repositoryOk))
      const quayIo = yield* Effect.scoped(fakeQuay(server, { apiUrl: "https://quay.io/api/v1/" }))
      const selfHosted = yield* Effect.scoped(fakeQuay(server, { apiUrl: "https://registry.example.com:8443/api/v1" }))
      assert.strictEqual(quayIo.registryHost, "quay.io")
      assert.strictEqual(selfHosted.registryHost, "registry.example.com:8443")
    }))
})
