/** QuayHttp against a scripted server: the requests it sends, and how Quay's error shapes become typed errors. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  operatorToken,
  org,
  json,
  apiException,
  robotBody,
  repositoryBody,
  stubServer,
  liveQuay,
  quayAnswering,
  failure
} from "./scriptedQuayServer.ts"

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
})
