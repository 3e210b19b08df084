/** The Quay model's repositories: create, get, delete, update, changevisibility and listing, with Quay's quirks. */
import { assert, describe, it } from "@effect/vitest"
import { apiException, createRepo, newModel, org, request } from "./modelSupport.ts"

describe("QuayModel: repositories", () => {
  it("creates with 201 {namespace, name, kind} and gives the creator an admin grant", () => {
    const model = newModel()
    const created = createRepo(model, "tenant/comp")
    assert.strictEqual(created.status, 201)
    assert.deepStrictEqual(created.json, { namespace: org, name: "tenant/comp", kind: "image" })
    assert.strictEqual(created.text.endsWith("}\n"), true)
    const perms = request(model, "GET", `/repository/${org}/tenant/comp/permissions/user/`)
    assert.strictEqual(perms.status, 200)
    const entry = (perms.json as { permissions: Record<string, Record<string, unknown>> }).permissions["operator"]
    assert.strictEqual(entry?.["role"], "admin")
    assert.strictEqual(entry?.["is_robot"], false)
  })

  it("a duplicate is 400 ApiException 'Repository already exists' (not 409)", () => {
    const model = newModel()
    createRepo(model, "ns/a")
    const dup = createRepo(model, "ns/a", "public")
    assert.strictEqual(dup.status, 400)
    assert.deepStrictEqual(dup.json, apiException(400, "invalid_request", "Repository already exists"))
  })

  it("checks permission, then existence, then the private allowance, then the name", () => {
    const model = newModel("free")
    model.addUser("stranger", { token: "stranger-token" })
    model.putRepository({ name: "ns/taken", visibility: "public" })
    // permission first: a stranger gets 403 even for a taken name
    assert.strictEqual(createRepo(model, "ns/taken", "private", "stranger-token").status, 403)
    // existence before 402
    assert.strictEqual(createRepo(model, "ns/taken", "private").status, 400)
    // 402 before the name regex
    const payment = createRepo(model, "NS/Bad Name", "private")
    assert.strictEqual(payment.status, 402)
    assert.deepStrictEqual(payment.json, apiException(402, "exceeds_license", "Payment Required"))
    const badName = createRepo(model, "NS/Bad Name", "public")
    assert.strictEqual(badName.status, 400)
    assert.strictEqual((badName.json as { error_message: string }).error_message, "Invalid repository name")
  })

  it("enforces the extended name grammar and the 255 limit", () => {
    const model = newModel()
    assert.strictEqual(createRepo(model, "a/b/c-d_e.f").status, 201)
    assert.strictEqual(createRepo(model, "plain").status, 201)
    for (const bad of ["Upper/x", "ns/-lead", "ns//x", "ns/x/", `ns/${"a".repeat(253)}`]) {
      assert.strictEqual(createRepo(model, bad).status, 400, bad)
    }
    assert.strictEqual(createRepo(model, `n/${"a".repeat(253)}`).status, 201)
  })

  it("validates the body: 415, malformed JSON, null, schema errors with jsonschema texts", () => {
    const model = newModel()
    const wrongType = request(model, "POST", "/repository", { rawBody: "{}", contentType: "text/plain" })
    assert.strictEqual(wrongType.status, 415)
    assert.match(String((wrongType.json as { message: string }).message), /Content-Type was not 'application\/json'/)
    const malformed = request(model, "POST", "/repository", { rawBody: "{nope" })
    assert.deepStrictEqual(malformed.json, {
      message: "The browser (or proxy) sent a request that this server could not understand."
    })
    assert.strictEqual(malformed.status, 400)
    const empty = request(model, "POST", "/repository", { rawBody: "" })
    assert.strictEqual(empty.status, 400)
    assert.deepStrictEqual(empty.json, malformed.json)
    const nullBody = request(model, "POST", "/repository", { rawBody: "null" })
    assert.deepStrictEqual(nullBody.json, apiException(400, "invalid_request", "Missing JSON body"))
    const missing = request(model, "POST", "/repository", { body: { repository: "x", description: "" } })
    assert.strictEqual(missing.status, 400)
    assert.match(String((missing.json as { detail: string }).detail), /^'visibility' is a required property\n/)
    const badEnum = request(model, "POST", "/repository", { body: { repository: "x", description: "", visibility: "foo" } })
    assert.match(String((badEnum.json as { detail: string }).detail), /^'foo' is not one of \['public', 'private'\]/)
  })

  it("get: 404 ApiException when absent, includeTags controls the tags key, public repos are readable anonymously", () => {
    const model = newModel()
    const absent = request(model, "GET", `/repository/${org}/ns/none`)
    assert.strictEqual(absent.status, 404)
    assert.deepStrictEqual(absent.json, apiException(404, "not_found", "Not Found"))
    createRepo(model, "ns/pub", "public")
    const withTags = request(model, "GET", `/repository/${org}/ns/pub`).json as Record<string, unknown>
    assert.deepStrictEqual(withTags["tags"], {})
    assert.strictEqual(withTags["is_public"], true)
    assert.strictEqual(withTags["description"], "about ns/pub")
    assert.strictEqual(withTags["can_admin"], true)
    const noTags = request(model, "GET", `/repository/${org}/ns/pub`, { query: { includeTags: "false" } })
      .json as Record<string, unknown>
    assert.isFalse("tags" in noTags)
    const anonymous = request(model, "GET", `/repository/${org}/ns/pub`, { token: null })
    assert.strictEqual(anonymous.status, 200)
    assert.strictEqual((anonymous.json as Record<string, unknown>)["can_write"], false)
    createRepo(model, "ns/priv", "private")
    const anonymousPrivate = request(model, "GET", `/repository/${org}/ns/priv`, { token: null })
    assert.deepStrictEqual(anonymousPrivate.json, apiException(401, "invalid_token", "Requires authentication"))
    model.addUser("stranger", { token: "stranger-token" })
    const stranger = request(model, "GET", `/repository/${org}/ns/priv`, { token: "stranger-token" })
    assert.deepStrictEqual(stranger.json, apiException(403, "insufficient_scope", "Unauthorized"))
    // Permission before existence: a stranger cannot learn that a repository is absent.
    assert.strictEqual(request(model, "GET", `/repository/${org}/ns/none`, { token: "stranger-token" }).status, 403)
  })

  it("delete is 204 also when absent, and the name is reusable at once", () => {
    const model = newModel()
    createRepo(model, "ns/d")
    const first = request(model, "DELETE", `/repository/${org}/ns/d`)
    assert.strictEqual(first.status, 204)
    assert.strictEqual(first.text, "")
    assert.strictEqual(request(model, "DELETE", `/repository/${org}/ns/d`).status, 204)
    assert.strictEqual(createRepo(model, "ns/d").status, 201)
  })

  it("update description: 200 {success}, 404 when absent", () => {
    const model = newModel()
    createRepo(model, "ns/u")
    const ok = request(model, "PUT", `/repository/${org}/ns/u`, { body: { description: "new" } })
    assert.deepStrictEqual([ok.status, ok.json], [200, { success: true }])
    assert.strictEqual(model.snapshot().repositories[0]?.description, "new")
    assert.strictEqual(request(model, "PUT", `/repository/${org}/ns/none`, { body: { description: "x" } }).status, 404)
  })

  it("changevisibility: 200 {success}, 200 null when absent, 402 on a free plan even when already private", () => {
    const model = newModel()
    createRepo(model, "ns/v", "public")
    const toPrivate = request(model, "POST", `/repository/${org}/ns/v/changevisibility`, { body: { visibility: "private" } })
    assert.deepStrictEqual([toPrivate.status, toPrivate.json], [200, { success: true }])
    const absent = request(model, "POST", `/repository/${org}/ns/none/changevisibility`, { body: { visibility: "public" } })
    assert.strictEqual(absent.status, 200)
    assert.strictEqual(absent.text, "null\n")
    model.setPlan("free")
    const again = request(model, "POST", `/repository/${org}/ns/v/changevisibility`, { body: { visibility: "private" } })
    assert.strictEqual(again.status, 402)
    const toPublic = request(model, "POST", `/repository/${org}/ns/v/changevisibility`, { body: { visibility: "public" } })
    assert.strictEqual(toPublic.status, 200)
    assert.strictEqual(model.snapshot().repositories[0]?.visibility, "public")
  })

  it("lists by namespace in pages of 100 with an opaque next_page", () => {
    const model = newModel()
    for (let i = 0; i < 250; i++) model.putRepository({ name: `ns/r${i}`, visibility: i % 2 === 0 ? "public" : "private" })
    model.putRepository({ namespace: "otherorg", name: "x", visibility: "public" })
    const names: Array<string> = []
    let next: string | undefined
    const pageSizes: Array<number> = []
    for (let page = 0; page < 10; page++) {
      const answer = request(model, "GET", "/repository", {
        query: next === undefined ? { namespace: org } : { namespace: org, next_page: next }
      })
      const body = answer.json as { repositories: Array<{ name: string; namespace: string }>; next_page?: string }
      pageSizes.push(body.repositories.length)
      names.push(...body.repositories.map((r) => r.name))
      next = body.next_page
      if (next === undefined) break
    }
    assert.deepStrictEqual(pageSizes, [100, 100, 50])
    assert.strictEqual(new Set(names).size, 250)
    const anonymous = request(model, "GET", "/repository", { token: null, query: { namespace: org } })
    const first = anonymous.json as { repositories: Array<{ is_public: boolean }> }
    assert.isTrue(first.repositories.every((r) => r.is_public))
    const required = request(model, "GET", "/repository")
    assert.deepStrictEqual(
      required.json,
      apiException(400, "invalid_request", "namespace, starred or public are required for this API call")
    )
  })
})
