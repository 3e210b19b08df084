/** Who may call the Quay model: authentication, scopes, routing, and registry authorization by robot role. */
import { assert, describe, it } from "@effect/vitest"
import { apiException, createRepo, newModel, org, request } from "./modelSupport.ts"

describe("QuayModel: authentication, routing, scopes", () => {
  it("writes without a valid token are 403 CSRF (text/html), reads are 401 ApiException", () => {
    const model = newModel()
    for (const token of [null, "wrong"]) {
      const write = createRepo(model, "ns/x", "public", token)
      assert.strictEqual(write.status, 403)
      assert.strictEqual(write.headers["content-type"], "text/html; charset=utf-8")
      assert.deepStrictEqual(write.json, { error: "CSRF token was invalid or missing." })
      const read = request(model, "GET", `/organization/${org}/robots/x`, { token })
      assert.deepStrictEqual(read.json, apiException(401, "invalid_token", "Requires authentication"))
    }
    // Shaped like a JWT but without a JWT header: an ordinary (unknown) token.
    const jwt = request(model, "GET", `/organization/${org}/robots`, { token: "aaa.bbb.ccc" })
    assert.deepStrictEqual(jwt.json, apiException(401, "invalid_token", "Requires authentication"))
  })

  it("scopes cap the user's roles: repo:create alone can create but not administer robots", () => {
    const model = newModel()
    model.addUser("creator", { organization: org, role: "admin", token: "creator-token", scopes: ["repo:create"] })
    assert.strictEqual(createRepo(model, "ns/c", "public", "creator-token").status, 201)
    const robots = request(model, "PUT", `/organization/${org}/robots/nope`, { token: "creator-token" })
    assert.deepStrictEqual(robots.json, apiException(403, "insufficient_scope", "Unauthorized"))
  })

  it("OPTIONS is 200, wrong methods are 405, unknown paths 404, suffix words can be repository names", () => {
    const model = newModel()
    assert.strictEqual(request(model, "OPTIONS", "/repository", { token: null }).status, 200)
    assert.strictEqual(request(model, "POST", `/organization/${org}/robots`).status, 405)
    assert.strictEqual(request(model, "GET", "/nothing/here/").status, 404)
    // GET on a POST-only suffix falls through to the repository rule, as Werkzeug's router does.
    createRepo(model, "ns/changevisibility", "public")
    const got = request(model, "GET", `/repository/${org}/ns/changevisibility`)
    assert.strictEqual((got.json as { name: string }).name, "ns/changevisibility")
  })
})

describe("QuayModel: registry authorization", () => {
  it("robot roles decide push/pull; regenerate and delete revoke at once", () => {
    const model = newModel()
    createRepo(model, "ns/img")
    const writer = request(model, "PUT", `/organization/${org}/robots/writer`).json as { name: string; token: string }
    const reader = request(model, "PUT", `/organization/${org}/robots/reader`).json as { name: string; token: string }
    request(model, "PUT", `/repository/${org}/ns/img/permissions/user/${writer.name}`, { body: { role: "write" } })
    request(model, "PUT", `/repository/${org}/ns/img/permissions/user/${reader.name}`, { body: { role: "read" } })
    const repo = `${org}/ns/img`
    assert.isTrue(model.authorize(writer.name, writer.token, repo, "push"))
    assert.isTrue(model.authorize(writer.name, writer.token, repo, "pull"))
    assert.isTrue(model.authorize(reader.name, reader.token, repo, "pull"))
    assert.isFalse(model.authorize(reader.name, reader.token, repo, "push"))
    assert.isFalse(model.authorize(reader.name, reader.token, `${org}/ns/other`, "pull"))
    request(model, "POST", `/organization/${org}/robots/writer/regenerate`)
    assert.isFalse(model.authorize(writer.name, writer.token, repo, "pull"))
    request(model, "DELETE", `/organization/${org}/robots/reader`)
    assert.isFalse(model.authorize(reader.name, reader.token, repo, "pull"))
  })
})
