/** The Quay model's robot accounts and the repository permissions granted to them. */
import { assert, describe, it } from "@effect/vitest"
import { generateRobotToken } from "../../src/simulator/QuayModel.ts"
import { apiException, createRepo, newModel, org, request } from "./modelSupport.ts"

describe("QuayModel: robots", () => {
  it("create: 201 with a 64-char [A-Z0-9] token; duplicate is 400 ApiException 'Existing robot with name'", () => {
    const model = newModel()
    const created = request(model, "PUT", `/organization/${org}/robots/bot_1`, { body: { description: "d" } })
    assert.strictEqual(created.status, 201)
    const robot = created.json as Record<string, unknown>
    assert.strictEqual(robot["name"], `${org}+bot_1`)
    assert.match(String(robot["token"]), /^[A-Z0-9]{64}$/)
    assert.strictEqual(robot["last_accessed"], null)
    assert.match(String(robot["created"]), /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} -0000$/)
    const dup = request(model, "PUT", `/organization/${org}/robots/bot_1`)
    assert.deepStrictEqual(dup.json, apiException(400, "invalid_request", `Existing robot with name: ${org}+bot_1`))
  })

  it("create without a body or with a non-JSON body counts as {}", () => {
    const model = newModel()
    assert.strictEqual(request(model, "PUT", `/organization/${org}/robots/nobody`).status, 201)
    const plain = request(model, "PUT", `/organization/${org}/robots/plain`, { rawBody: "hello", contentType: "text/plain" })
    assert.strictEqual(plain.status, 201)
    const long = request(model, "PUT", `/organization/${org}/robots/long`, { body: { description: "x".repeat(256) } })
    assert.strictEqual(long.status, 400)
  })

  it("invalid short names are refused with validate_username's texts", () => {
    const model = newModel()
    const bad = request(model, "PUT", `/organization/${org}/robots/Bad`)
    assert.strictEqual(bad.status, 400)
    assert.strictEqual(
      (bad.json as { error_message: string }).error_message,
      "The name for the robot 'Bad' is invalid: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$"
    )
    const short = request(model, "PUT", `/organization/${org}/robots/a`)
    assert.match((short.json as { error_message: string }).error_message, /between 2 and 255 characters/)
    const tooLong = request(model, "PUT", `/organization/${org}/robots/${"a".repeat(250)}`)
    assert.strictEqual(tooLong.status, 400)
    assert.isTrue("message" in (tooLong.json as object))
  })

  it("get/delete/regenerate of a missing robot are 400 {message: 'Could not find robot…'}, never 404", () => {
    const model = newModel()
    const expected = { message: "Could not find robot with specified username" }
    for (
      const [method, suffix] of [["GET", ""], ["DELETE", ""], ["POST", "/regenerate"]] as const
    ) {
      const answer = request(model, method, `/organization/${org}/robots/ghost${suffix}`)
      assert.strictEqual(answer.status, 400)
      assert.deepStrictEqual(answer.json, expected)
    }
  })

  it("regenerate replaces the token at once; get shows the current one", () => {
    const model = newModel()
    const created = request(model, "PUT", `/organization/${org}/robots/rot`).json as { token: string }
    const regenerated = request(model, "POST", `/organization/${org}/robots/rot/regenerate`)
    assert.strictEqual(regenerated.status, 200)
    const body = regenerated.json as Record<string, unknown>
    assert.notStrictEqual(body["token"], created.token)
    assert.isFalse("unstructured_metadata" in body)
    const got = request(model, "GET", `/organization/${org}/robots/rot`).json as Record<string, unknown>
    assert.strictEqual(got["token"], body["token"])
    assert.deepStrictEqual(got["unstructured_metadata"], {})
  })

  it("list: tokens for admins unless token=false; permissions=true lists repositories", () => {
    const model = newModel()
    request(model, "PUT", `/organization/${org}/robots/one`)
    createRepo(model, "ns/r")
    request(model, "PUT", `/repository/${org}/ns/r/permissions/user/${org}+one`, { body: { role: "read" } })
    const withTokens = request(model, "GET", `/organization/${org}/robots`).json as { robots: Array<Record<string, unknown>> }
    assert.match(String(withTokens.robots[0]?.["token"]), /^[A-Z0-9]{64}$/)
    const without = request(model, "GET", `/organization/${org}/robots`, { query: { token: "false" } })
      .json as { robots: Array<Record<string, unknown>> }
    assert.isFalse("token" in (without.robots[0] ?? {}))
    const perms = request(model, "GET", `/organization/${org}/robots`, { query: { permissions: "true" } })
      .json as { robots: Array<Record<string, unknown>> }
    assert.deepStrictEqual(perms.robots[0]?.["repositories"], ["ns/r"])
    // A plain member sees the list without tokens; a stranger is refused.
    model.addUser("member", { organization: org, role: "member", token: "member-token", scopes: ["repo:create"] })
    const asMember = request(model, "GET", `/organization/${org}/robots`, { token: "member-token" })
      .json as { robots: Array<Record<string, unknown>> }
    assert.isFalse("token" in (asMember.robots[0] ?? {}))
    model.addUser("stranger", { token: "stranger-token" })
    assert.strictEqual(request(model, "GET", `/organization/${org}/robots`, { token: "stranger-token" }).status, 403)
  })

  it("deleting a robot removes its grants", () => {
    const model = newModel()
    request(model, "PUT", `/organization/${org}/robots/gone`)
    createRepo(model, "ns/r")
    request(model, "PUT", `/repository/${org}/ns/r/permissions/user/${org}+gone`, { body: { role: "write" } })
    assert.strictEqual(request(model, "DELETE", `/organization/${org}/robots/gone`).status, 204)
    assert.deepStrictEqual(model.snapshot().permissions.map((p) => p.username), ["operator"])
  })

  it("generates distinct unbiased-alphabet tokens", () => {
    const tokens = new Set(Array.from({ length: 50 }, generateRobotToken))
    assert.strictEqual(tokens.size, 50)
    for (const token of tokens) assert.match(token, /^[A-Z0-9]{64}$/)
  })
})

describe("QuayModel: repository permissions", () => {
  it("PUT is an upsert returning the permission object; list is a map keyed by name", () => {
    const model = newModel()
    createRepo(model, "ns/p")
    request(model, "PUT", `/organization/${org}/robots/bot`)
    const first = request(model, "PUT", `/repository/${org}/ns/p/permissions/user/${org}+bot`, { body: { role: "read" } })
    assert.strictEqual(first.status, 200)
    const view = first.json as Record<string, unknown>
    assert.strictEqual(view["role"], "read")
    assert.strictEqual(view["name"], `${org}+bot`)
    assert.strictEqual(view["is_robot"], true)
    assert.strictEqual(view["is_org_member"], true)
    assert.strictEqual((view["avatar"] as Record<string, unknown>)["kind"], "robot")
    const second = request(model, "PUT", `/repository/${org}/ns/p/permissions/user/${org}+bot`, { body: { role: "write" } })
    assert.strictEqual(second.status, 200)
    const list = request(model, "GET", `/repository/${org}/ns/p/permissions/user/`).json as {
      permissions: Record<string, { role: string }>
    }
    assert.deepStrictEqual(Object.keys(list.permissions).sort(), [`${org}+bot`, "operator"])
    assert.strictEqual(list.permissions[`${org}+bot`]?.role, "write")
    const one = request(model, "GET", `/repository/${org}/ns/p/permissions/user/${org}+bot`)
    assert.strictEqual((one.json as { role: string }).role, "write")
  })

  it("refusals: unknown user, foreign robot, namespace owner, missing grant, missing repository", () => {
    const model = newModel()
    createRepo(model, "ns/p")
    model.addOrganization("other")
    model.addUser("admin2", { organization: "other", role: "admin", token: "other-token" })
    request(model, "PUT", "/organization/other/robots/theirs", { token: "other-token" })
    const put = (user: string) => request(model, "PUT", `/repository/${org}/ns/p/permissions/user/${user}`, { body: { role: "read" } })
    assert.deepStrictEqual(put(`${org}+ghost`).json, apiException(400, "invalid_request", `Invalid username: ${org}+ghost`))
    assert.deepStrictEqual(
      put("other+theirs").json,
      apiException(400, "invalid_request", `Cannot add robot other+theirs under namespace ${org}`)
    )
    assert.deepStrictEqual(put(org).json, apiException(400, "invalid_request", "Namespace owner must always be admin."))
    const del = request(model, "DELETE", `/repository/${org}/ns/p/permissions/user/${org}+ghost`)
    assert.deepStrictEqual(del.json, apiException(400, "invalid_request", "User does not have permission for repo."))
    const getMissing = request(model, "GET", `/repository/${org}/ns/p/permissions/user/${org}+ghost`)
    assert.deepStrictEqual(getMissing.json, { message: "User does not have permission for repo." })
    request(model, "PUT", `/organization/${org}/robots/bot`)
    const noRepo = request(model, "PUT", `/repository/${org}/ns/none/permissions/user/${org}+bot`, { body: { role: "read" } })
    assert.strictEqual(noRepo.status, 500)
    assert.strictEqual(noRepo.json, undefined)
    const listMissing = request(model, "GET", `/repository/${org}/ns/none/permissions/user/`)
    assert.deepStrictEqual([listMissing.status, listMissing.json], [200, { permissions: {} }])
  })

  it("the list without its trailing slash is a 308 to the slash URL", () => {
    const model = newModel()
    createRepo(model, "ns/p")
    const answer = request(model, "GET", `/repository/${org}/ns/p/permissions/user`, { query: { a: "1" } })
    assert.strictEqual(answer.status, 308)
    assert.strictEqual(answer.headers["location"], `http://quay.example/api/v1/repository/${org}/ns/p/permissions/user/?a=1`)
    assert.match(answer.headers["content-type"] ?? "", /^text\/html/)
  })
})
