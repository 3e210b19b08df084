/** The Quay simulator served over HTTP: Quay's answers and quirks, faults, the nginx rate limit, its state page, and shutdown. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import { org, token, http, startSim } from "./simulatorHttpSupport.ts"

describe("QuaySimulator over HTTP", () => {
  it.scoped("listens on 127.0.0.1 with a free port and serves Quay's repository lifecycle", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual(sim.apiUrl, `${sim.url}/api/v1`)
      assert.strictEqual(sim.registryHost, `127.0.0.1:${sim.port}`)
      const created = yield* http(`${sim.apiUrl}/repository`, {
        method: "POST",
        body: { namespace: org, repository: "tenant/comp", visibility: "private", description: "d" }
      })
      assert.strictEqual(created.status, 201)
      assert.strictEqual(created.headers.get("content-type"), "application/json")
      assert.deepStrictEqual(created.json, { namespace: org, name: "tenant/comp", kind: "image" })
      const got = yield* http(`${sim.apiUrl}/repository/${org}/tenant/comp?includeTags=false`)
      assert.strictEqual(got.status, 200)
      assert.strictEqual((got.json as { is_public: boolean }).is_public, false)
      assert.isFalse("tags" in (got.json as object))
      const dup = yield* http(`${sim.apiUrl}/repository`, {
        method: "POST",
        body: { namespace: org, repository: "tenant/comp", visibility: "private", description: "d" }
      })
      assert.strictEqual(dup.status, 400)
      assert.strictEqual((dup.json as { error_message: string }).error_message, "Repository already exists")
      const deleted = yield* http(`${sim.apiUrl}/repository/${org}/tenant/comp`, { method: "DELETE" })
      assert.deepStrictEqual([deleted.status, deleted.text], [204, ""])
      const gone = yield* http(`${sim.apiUrl}/repository/${org}/tenant/comp`)
      assert.strictEqual(gone.status, 404)
      const again = yield* http(`${sim.apiUrl}/repository/${org}/tenant/comp`, { method: "DELETE" })
      assert.strictEqual(again.status, 204)
      const missingVisibility = yield* http(`${sim.apiUrl}/repository/${org}/tenant/comp/changevisibility`, {
        method: "POST",
        body: { visibility: "public" }
      })
      assert.deepStrictEqual([missingVisibility.status, missingVisibility.text], [200, "null\n"])
    }))

  it.scoped("auth: GET without a valid token is 401 ApiException, writes are 403 CSRF as text/html", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      for (const auth of [null, "not-the-token"]) {
        const read = yield* http(`${sim.apiUrl}/organization/${org}/robots`, { auth })
        assert.strictEqual(read.status, 401)
        assert.strictEqual((read.json as { error_type: string }).error_type, "invalid_token")
        for (const method of ["POST", "PUT", "DELETE"]) {
          const write = yield* http(`${sim.apiUrl}/organization/${org}/robots/x`, { method, auth })
          assert.strictEqual(write.status, method === "POST" ? 405 : 403, method)
          if (method !== "POST") {
            assert.strictEqual(write.headers.get("content-type"), "text/html; charset=utf-8")
            assert.deepStrictEqual(write.json, { error: "CSRF token was invalid or missing." })
          }
        }
      }
      const options = yield* http(`${sim.apiUrl}/repository`, { method: "OPTIONS", auth: null })
      assert.strictEqual(options.status, 200)
    }))

  it.scoped("bodies: 415 for a non-JSON content type, 400 {message} for malformed JSON", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      const wrongType = yield* http(`${sim.apiUrl}/repository`, { method: "POST", rawBody: "{}", contentType: "text/plain" })
      assert.strictEqual(wrongType.status, 415)
      assert.isTrue("message" in (wrongType.json as object))
      const malformed = yield* http(`${sim.apiUrl}/repository`, { method: "POST", rawBody: "{oops" })
      assert.deepStrictEqual([malformed.status, malformed.json], [
        400,
        { message: "The browser (or proxy) sent a request that this server could not understand." }
      ])
    }))

  it.scoped("free plan: 402 on creating a private repository and on changevisibility to private", () =>
    Effect.gen(function*() {
      const sim = yield* startSim({ plan: "free" })
      const create = (visibility: string) =>
        http(`${sim.apiUrl}/repository`, {
          method: "POST",
          body: { namespace: org, repository: "ns/app", visibility, description: "" }
        })
      const refused = yield* create("private")
      assert.strictEqual(refused.status, 402)
      assert.strictEqual((refused.json as { error_type: string }).error_type, "exceeds_license")
      assert.strictEqual((yield* create("public")).status, 201)
      const change = yield* http(`${sim.apiUrl}/repository/${org}/ns/app/changevisibility`, {
        method: "POST",
        body: { visibility: "private" }
      })
      assert.strictEqual(change.status, 402)
      const plan = yield* http(`${sim.url}/_sim/plan`, { method: "POST", body: { plan: "paid" } })
      assert.strictEqual(plan.status, 200)
      const changed = yield* http(`${sim.apiUrl}/repository/${org}/ns/app/changevisibility`, {
        method: "POST",
        body: { visibility: "private" }
      })
      assert.deepStrictEqual([changed.status, changed.json], [200, { success: true }])
    }))

  it.scoped("the permission list without its trailing slash is a 308 with an HTML body and Location", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      const redirect = yield* http(`${sim.apiUrl}/repository/${org}/ns/app/permissions/user`)
      assert.strictEqual(redirect.status, 308)
      assert.strictEqual(redirect.headers.get("location"), `${sim.apiUrl}/repository/${org}/ns/app/permissions/user/`)
      assert.include(redirect.text, "Redirecting...")
      const slash = yield* http(`${sim.apiUrl}/repository/${org}/ns/app/permissions/user/`)
      assert.deepStrictEqual([slash.status, slash.json], [200, { permissions: {} }])
    }))

  it.scoped("robot quirks: 201 create, 400 ApiException duplicate, 400 {message} when missing", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      const robotUrl = `${sim.apiUrl}/organization/${org}/robots/ns_app`
      const created = yield* http(robotUrl, { method: "PUT", body: { description: "push robot" } })
      assert.strictEqual(created.status, 201)
      assert.match((created.json as { token: string }).token, /^[A-Z0-9]{64}$/)
      const dup = yield* http(robotUrl, { method: "PUT" })
      assert.strictEqual(dup.status, 400)
      assert.strictEqual((dup.json as { error_message: string }).error_message, `Existing robot with name: ${org}+ns_app`)
      assert.strictEqual((yield* http(robotUrl, { method: "DELETE" })).status, 204)
      for (const method of ["GET", "DELETE"]) {
        const missing = yield* http(robotUrl, { method })
        assert.deepStrictEqual([missing.status, missing.json], [400, { message: "Could not find robot with specified username" }])
      }
    }))

  it.scoped("robot tokens authenticate through /_sim/auth by role and stop working after regenerate", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      yield* http(`${sim.apiUrl}/repository`, {
        method: "POST",
        body: { namespace: org, repository: "ns/app", visibility: "private", description: "" }
      })
      const robot = (yield* http(`${sim.apiUrl}/organization/${org}/robots/pusher`, { method: "PUT" })).json as {
        name: string
        token: string
      }
      const auth = (robotToken: string, access: string) =>
        Effect.map(
          http(
            `${sim.url}/_sim/auth?${new URLSearchParams({ robot: robot.name, token: robotToken, repo: `${org}/ns/app`, access })}`,
            { auth: null }
          ),
          (reply) => (reply.json as { allowed: boolean }).allowed
        )
      assert.isFalse(yield* auth(robot.token, "pull"))
      const granted = yield* http(`${sim.apiUrl}/repository/${org}/ns/app/permissions/user/${robot.name}`, {
        method: "PUT",
        body: { role: "write" }
      })
      assert.strictEqual(granted.status, 200)
      assert.isTrue(yield* auth(robot.token, "push"))
      assert.isTrue(yield* auth(robot.token, "pull"))
      assert.isFalse(yield* auth("WRONG", "pull"))
      const regenerated = yield* http(`${sim.apiUrl}/organization/${org}/robots/pusher/regenerate`, { method: "POST" })
      const fresh = (regenerated.json as { token: string }).token
      assert.isFalse(yield* auth(robot.token, "push"))
      assert.isTrue(yield* auth(fresh, "push"))
      const bad = yield* http(`${sim.url}/_sim/auth?robot=x`, { auth: null })
      assert.strictEqual(bad.status, 400)
    }))

  it.scoped("faults set at run time produce the documented pages, and a timeout never answers", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      const robots = `${sim.apiUrl}/organization/${org}/robots`
      const setFault = (body: unknown) => http(`${sim.url}/_sim/faults`, { method: "POST", body, auth: null })
      assert.strictEqual((yield* setFault({ kind: "5xx", next: 1 })).status, 200)
      const badGateway = yield* http(robots)
      assert.strictEqual(badGateway.status, 502)
      assert.match(badGateway.headers.get("content-type") ?? "", /^text\/html/)
      assert.include(badGateway.text, "<html")
      yield* setFault({ kind: "429", next: 1 })
      const limited = yield* http(robots)
      assert.strictEqual(limited.status, 429)
      assert.isNull(limited.headers.get("retry-after"))
      assert.include(limited.text, "429 Too Many Requests")
      yield* setFault({ kind: "503", next: 1 })
      const readOnly = yield* http(robots)
      assert.strictEqual(readOnly.status, 503)
      assert.strictEqual((readOnly.json as { is_readonly: boolean }).is_readonly, true)
      yield* setFault({ kind: "timeout", next: 1 })
      const hung = yield* Effect.exit(http(robots, { timeoutMs: 300 }))
      assert.isTrue(Exit.isFailure(hung))
      assert.strictEqual((yield* http(robots)).status, 200)
      assert.strictEqual((yield* setFault({ kind: "nope" })).status, 400)
      assert.strictEqual((yield* setFault({ kind: "5xx", rate: 2 })).status, 400)
      yield* setFault({ kind: "5xx", rate: 1 })
      assert.strictEqual((yield* http(robots)).status, 502)
      yield* http(`${sim.url}/_sim/faults`, { method: "DELETE", auth: null })
      assert.strictEqual((yield* http(robots)).status, 200)
    }))

  it.scoped("a dropped connection closes without an answer; a mix of kinds is set over HTTP and counted by kind", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      const robots = `${sim.apiUrl}/organization/${org}/robots`
      const setFault = (body: unknown) => http(`${sim.url}/_sim/faults`, { method: "POST", body, auth: null })
      yield* setFault({ kind: "drop", next: 1 })
      const dropped = yield* Effect.exit(http(robots, { timeoutMs: 5_000 }))
      assert.isTrue(Exit.isFailure(dropped))
      assert.strictEqual((yield* http(robots)).status, 200)
      assert.strictEqual((yield* setFault({ mix: [{ kind: "5xx", rate: 1 }] })).status, 200)
      assert.strictEqual((yield* http(robots)).status, 502)
      assert.strictEqual((yield* setFault({ mix: [{ kind: "5xx", rate: 0.7 }, { kind: "429", rate: 0.7 }] })).status, 400)
      assert.strictEqual((yield* setFault({ mix: [{ kind: "nope", rate: 0.1 }] })).status, 400)
      yield* http(`${sim.url}/_sim/faults`, { method: "DELETE", auth: null })
      assert.strictEqual((yield* http(robots)).status, 200)
      const state = (yield* http(`${sim.url}/_sim/state`, { auth: null })).json as {
        faultsInjected: Record<string, number>
        requests: { byEndpoint: Record<string, Record<string, number>> }
      }
      assert.deepStrictEqual(state.faultsInjected, { drop: 1, "5xx": 1 })
      assert.strictEqual(state.requests.byEndpoint["GET /api/v1/organization/{orgname}/robots"]?.["dropped"], 1)
    }))

  it.scoped("a fault rate given at start fails every request when it is 1", () =>
    Effect.gen(function*() {
      const sim = yield* startSim({ faultRate: 1, faultKind: "503" })
      const answer = yield* http(`${sim.apiUrl}/organization/${org}/robots`)
      assert.strictEqual(answer.status, 503)
    }))

  it.scoped("the rate limit answers nginx's 429 page beyond rate + burst, per client", () =>
    Effect.gen(function*() {
      // A rate this low does not drain during the test: exactly burst + 1 requests pass.
      const sim = yield* startSim({ rateLimit: 0.001, rateLimitBurst: 2 })
      const statuses: Array<number> = []
      for (let i = 0; i < 5; i++) statuses.push((yield* http(`${sim.apiUrl}/organization/${org}/robots`)).status)
      assert.deepStrictEqual(statuses, [200, 200, 200, 429, 429])
      const limited = yield* http(`${sim.apiUrl}/organization/${org}/robots`)
      assert.isNull(limited.headers.get("retry-after"))
      assert.include(limited.text, "nginx")
      // The simulator's own hooks are not rate limited.
      const state = yield* http(`${sim.url}/_sim/state`, { auth: null })
      assert.strictEqual(state.status, 200)
      const counts = (state.json as { requests: { byEndpoint: Record<string, Record<string, number>> } }).requests
      assert.deepStrictEqual(counts.byEndpoint["GET /api/v1/organization/{orgname}/robots"], { "200": 3, "429": 3 })
    }))

  it.scoped("/_sim/state shows repositories, robots (no tokens), permissions and request counts", () =>
    Effect.gen(function*() {
      const sim = yield* startSim({ latencyMs: 5 })
      yield* http(`${sim.apiUrl}/repository`, {
        method: "POST",
        body: { namespace: org, repository: "ns/s", visibility: "public", description: "desc" }
      })
      const robot = (yield* http(`${sim.apiUrl}/organization/${org}/robots/r1`, { method: "PUT", body: { description: "rd" } }))
        .json as { token: string }
      yield* http(`${sim.apiUrl}/repository/${org}/ns/s/permissions/user/${org}+r1`, { method: "PUT", body: { role: "read" } })
      const state = yield* http(`${sim.url}/_sim/state`, { auth: null })
      assert.notInclude(state.text, robot.token)
      assert.notInclude(state.text, token)
      const body = state.json as {
        repositories: Array<{ name: string; visibility: string; description: string }>
        robots: Array<{ name: string; description: string }>
        permissions: Array<{ repository: string; username: string; role: string }>
        requests: { total: number; byEndpoint: Record<string, Record<string, number>> }
      }
      assert.deepStrictEqual(body.repositories.map((r) => [r.name, r.visibility, r.description]), [["ns/s", "public", "desc"]])
      assert.deepStrictEqual(body.robots.map((r) => [r.name, r.description]), [[`${org}+r1`, "rd"]])
      assert.deepStrictEqual(
        body.permissions.map((p) => `${p.repository} ${p.username} ${p.role}`).sort(),
        [`ns/s ${org}+r1 read`, "ns/s operator admin"]
      )
      assert.strictEqual(body.requests.total, 3)
      assert.deepStrictEqual(body.requests.byEndpoint["POST /api/v1/repository"], { "201": 1 })
      const reset = yield* http(`${sim.url}/_sim/requests`, { method: "DELETE", auth: null })
      assert.strictEqual((reset.json as { requests: { total: number } }).requests.total, 0)
    }))

  it.scoped("lists repositories with next_page paging at 100", () =>
    Effect.gen(function*() {
      const sim = yield* startSim()
      for (let i = 0; i < 130; i++) sim.model.putRepository({ name: `ns/r${i}`, visibility: "private" })
      const first = yield* http(`${sim.apiUrl}/repository?namespace=${org}&last_modified=true`)
      const page1 = first.json as { repositories: Array<{ name: string }>; next_page?: string }
      assert.strictEqual(page1.repositories.length, 100)
      assert.isString(page1.next_page)
      const second = yield* http(
        `${sim.apiUrl}/repository?${new URLSearchParams({ namespace: org, next_page: page1.next_page ?? "" })}`
      )
      const page2 = second.json as { repositories: Array<{ name: string }>; next_page?: string }
      assert.strictEqual(page2.repositories.length, 30)
      assert.isUndefined(page2.next_page)
    }))

  it.live("stops listening when its scope closes, hanging requests included", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const sim = yield* Scope.extend(startSim(), scope)
      sim.model.injectFaults({ kind: "timeout", next: 1 })
      const pending = yield* Effect.fork(Effect.exit(http(`${sim.apiUrl}/organization/${org}/robots`)))
      // Wait (bounded) until the hanging request reached the server.
      for (let i = 0; i < 100 && sim.model.requestCounts().total === 0; i++) yield* Effect.sleep("10 millis")
      assert.strictEqual(sim.model.requestCounts().total, 1)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(Exit.isFailure(yield* Fiber.join(pending)))
      const after = yield* Effect.exit(http(`${sim.url}/_sim/state`, { auth: null, timeoutMs: 2_000 }))
      assert.isTrue(Exit.isFailure(after))
    }))
})
