/**
 * The simulator's registry token endpoint (`/v2/auth`, as Quay's) and its scoped OAuth tokens: what a registry
 * that trusts the simulator's key would let each login do. The round trips through a real registry are in
 * test/cluster/Registry.e2e.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createPublicKey, verify } from "node:crypto"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"

const org = "acme"
const adminToken = "admin-token-5c1d"

interface Claims {
  readonly iss: string
  readonly aud: string
  readonly sub: string
  readonly exp: number
  readonly nbf: number
  readonly access: ReadonlyArray<{ readonly type: string; readonly name: string; readonly actions: ReadonlyArray<string> }>
}

const call = (url: string, init: { readonly method?: string; readonly auth?: string; readonly body?: unknown } = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: init.method ?? "GET",
      headers: {
        ...(init.auth === undefined ? {} : { authorization: init.auth }),
        ...(init.body === undefined ? {} : { "content-type": "application/json" })
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
    })
    const text = await response.text()
    return { status: response.status, json: text === "" ? undefined : (JSON.parse(text) as unknown) }
  })

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`
const bearer = (token: string) => `Bearer ${token}`

/** Checks the signature with the published key set, as the registry does, and returns the claims. */
const verified = (jwks: string, token: string): Claims => {
  const [header = "", payload = "", signature = ""] = token.split(".")
  const kid = (JSON.parse(Buffer.from(header, "base64url").toString()) as { kid: string; alg: string }).kid
  const key = (JSON.parse(jwks) as { keys: Array<{ kid: string }> }).keys.find((k) => k.kid === kid)
  assert.isDefined(key, "the token names a key of the published set")
  const ok = verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    { key: createPublicKey({ key: key as never, format: "jwk" }), dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url")
  )
  assert.isTrue(ok, "the signature verifies with the published key")
  return JSON.parse(Buffer.from(payload, "base64url").toString()) as Claims
}

/** A simulator with a private and a public repository, a push (write) robot and a pull (read) robot. */
const world = Effect.gen(function*() {
  const sim = yield* QuaySimulator.start({ organization: org, token: adminToken })
  const api = (method: string, path: string, body?: unknown) =>
    call(`${sim.apiUrl}${path}`, { method, auth: bearer(adminToken), ...(body === undefined ? {} : { body }) })
  for (const [name, visibility] of [["ns/private", "private"], ["ns/public", "public"]]) {
    yield* api("POST", "/repository", { namespace: org, repository: name, visibility, description: "" })
  }
  const robots: Record<string, string> = {}
  for (const [short, role] of [["pusher", "write"], ["puller", "read"]] as const) {
    const created = yield* api("PUT", `/organization/${org}/robots/${short}`)
    robots[short] = (created.json as { token: string }).token
    yield* api("PUT", `/repository/${org}/ns/private/permissions/user/${org}+${short}`, { role })
  }
  const token = (auth: string | undefined, scope: string) =>
    call(`${sim.url}/v2/auth?service=${encodeURIComponent(sim.registryHost)}&scope=${encodeURIComponent(scope)}`, {
      ...(auth === undefined ? {} : { auth })
    })
  const granted = (auth: string | undefined, repository: string) =>
    token(auth, `repository:${org}/${repository}:push,pull`).pipe(
      Effect.map((answer) => verified(sim.registryAuth.jwks, (answer.json as { token: string }).token).access[0]?.actions ?? [])
    )
  return { sim, api, robots, token, granted }
})

describe("/v2/auth: Quay's registry token endpoint", () => {
  it.scoped("a robot's basic credentials get a signed JWT whose access lists the granted actions", () =>
    Effect.gen(function*() {
      const { sim, robots, token } = yield* world
      const answer = yield* token(basic(`${org}+pusher`, robots["pusher"] ?? ""), `repository:${org}/ns/private:push,pull`)
      assert.strictEqual(answer.status, 200)
      const claims = verified(sim.registryAuth.jwks, (answer.json as { token: string }).token)
      assert.strictEqual(claims.iss, sim.registryAuth.issuer)
      assert.strictEqual(claims.aud, sim.registryAuth.service)
      assert.strictEqual(claims.sub, `${org}+pusher`)
      assert.isAbove(claims.exp, claims.nbf)
      assert.deepStrictEqual(claims.access, [{ type: "repository", name: `${org}/ns/private`, actions: ["push", "pull"] }])
    }))

  it.scoped("read grants pull only; a repository without a grant gets nothing, a public one pull", () =>
    Effect.gen(function*() {
      const { granted, robots } = yield* world
      const pusher = basic(`${org}+pusher`, robots["pusher"] ?? "")
      const puller = basic(`${org}+puller`, robots["puller"] ?? "")
      assert.deepStrictEqual(yield* granted(puller, "ns/private"), ["pull"])
      assert.deepStrictEqual(yield* granted(pusher, "ns/public"), ["pull"])
      assert.deepStrictEqual(yield* granted(pusher, "ns/absent"), [])
    }))

  it.scoped("anonymous: pull of a public repository only; wrong or rotated credentials are refused outright", () =>
    Effect.gen(function*() {
      const { api, granted, robots, token } = yield* world
      assert.deepStrictEqual(yield* granted(undefined, "ns/public"), ["pull"])
      assert.deepStrictEqual(yield* granted(undefined, "ns/private"), [])
      const old = basic(`${org}+pusher`, robots["pusher"] ?? "")
      yield* api("POST", `/organization/${org}/robots/pusher/regenerate`)
      const refused = yield* token(old, `repository:${org}/ns/public:pull`)
      assert.strictEqual(refused.status, 401)
      assert.deepStrictEqual(refused.json, {
        errors: [{ code: "UNAUTHORIZED", detail: {}, message: "Invalid username or password" }]
      })
      const malformed = yield* token(basic(`${org}+puller`, robots["puller"] ?? ""), "repository:nonsense")
      assert.strictEqual(malformed.status, 400)
    }))

  it.scoped("/_sim/auth answers from the same grant", () =>
    Effect.gen(function*() {
      const { robots, sim } = yield* world
      const check = (robot: string, repo: string, access: string) =>
        call(`${sim.url}/_sim/auth?robot=${encodeURIComponent(`${org}+${robot}`)}&token=${robots[robot] ?? ""}&repo=${org}/${repo}&access=${access}`)
          .pipe(Effect.map((answer) => (answer.json as { allowed: boolean }).allowed))
      assert.isTrue(yield* check("puller", "ns/private", "pull"))
      assert.isFalse(yield* check("puller", "ns/private", "push"))
      assert.isTrue(yield* check("pusher", "ns/private", "push"))
    }))
})

describe("scoped OAuth tokens", () => {
  it.scoped("a token created with too few scopes is refused with 403 insufficient_scope where its scopes do not reach", () =>
    Effect.gen(function*() {
      const sim = yield* QuaySimulator.start({
        organization: org,
        token: adminToken,
        tokens: [{ token: "no-org-admin", scopes: ["repo:admin", "repo:create"] }]
      })
      const create = yield* call(`${sim.apiUrl}/repository`, {
        method: "POST",
        auth: bearer("no-org-admin"),
        body: { namespace: org, repository: "ns/app", visibility: "public", description: "" }
      })
      assert.strictEqual(create.status, 201)
      const robot = yield* call(`${sim.apiUrl}/organization/${org}/robots/bot`, { method: "PUT", auth: bearer("no-org-admin") })
      assert.strictEqual(robot.status, 403)
      assert.strictEqual((robot.json as { error_type: string }).error_type, "insufficient_scope")
    }))

  it.scoped("/_sim/tokens adds a token with its scopes and revokes it", () =>
    Effect.gen(function*() {
      const sim = yield* QuaySimulator.start({ organization: org, token: adminToken })
      const robots = (auth: string) => call(`${sim.apiUrl}/organization/${org}/robots`, { auth: bearer(auth) })
      assert.strictEqual((yield* robots("late-token")).status, 401)
      const added = yield* call(`${sim.url}/_sim/tokens`, { method: "POST", body: { token: "late-token", scopes: ["org:admin"] } })
      assert.strictEqual(added.status, 200)
      assert.strictEqual((yield* robots("late-token")).status, 200)
      const bad = yield* call(`${sim.url}/_sim/tokens`, { method: "POST", body: { token: "x", scopes: ["everything"] } })
      assert.strictEqual(bad.status, 400)
      yield* call(`${sim.url}/_sim/tokens`, { method: "DELETE", body: { token: "late-token" } })
      assert.strictEqual((yield* robots("late-token")).status, 401)
    }))
})
