import { assert, describe, it } from "@effect/vitest"
import { generateRobotToken } from "../../src/simulator/QuayModel.ts"
import { adminToken, apiException, createRepo, newModel, org, request } from "./modelSupport.ts"

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

describe("QuayModel: faults and counts", () => {
  it("fails exactly the next N requests with the chosen kind, then answers normally", () => {
    const model = newModel()
    model.injectFaults({ kind: "5xx", next: 2 })
    const first = request(model, "GET", `/organization/${org}/robots`)
    assert.strictEqual(first.status, 502)
    assert.match(first.headers["content-type"] ?? "", /^text\/html/)
    assert.strictEqual(request(model, "GET", `/organization/${org}/robots`).status, 502)
    assert.strictEqual(request(model, "GET", `/organization/${org}/robots`).status, 200)
    model.injectFaults({ kind: "429", next: 1 })
    const limited = request(model, "GET", `/organization/${org}/robots`)
    assert.strictEqual(limited.status, 429)
    assert.isUndefined(limited.headers["retry-after"])
    assert.include(limited.text, "429 Too Many Requests")
    model.injectFaults({ kind: "503", next: 1 })
    const readOnly = request(model, "GET", `/organization/${org}/robots`)
    assert.strictEqual(readOnly.status, 503)
    assert.strictEqual((readOnly.json as { is_readonly: boolean }).is_readonly, true)
    model.injectFaults({ kind: "timeout", next: 1 })
    assert.strictEqual(request(model, "GET", `/organization/${org}/robots`).status, "timeout")
  })

  it("a faulted write changes nothing", () => {
    const model = newModel()
    model.injectFaults({ kind: "5xx", next: 1 })
    assert.strictEqual(createRepo(model, "ns/x").status, 502)
    assert.deepStrictEqual(model.snapshot().repositories, [])
  })

  it("fails a rate of requests drawn from the injected random source; rejects bad rates", () => {
    const model = newModel()
    const draws = [0.05, 0.5, 0.19, 0.2]
    let i = 0
    model.injectFaults({ kind: "5xx", rate: 0.2, random: () => draws[i++] ?? 1 })
    const statuses = draws.map(() => request(model, "GET", `/organization/${org}/robots`).status)
    assert.deepStrictEqual(statuses, [502, 200, 502, 200])
    assert.throws(() => model.injectFaults({ kind: "5xx", rate: 1.5 }))
    assert.throws(() => model.injectFaults({ kind: "5xx", next: -1 }))
  })

  it("fails each kind of a mix by its share of one draw, and counts what it injected by kind", () => {
    const model = newModel()
    const draws = [0.05, 0.12, 0.16, 0.175, 0.5]
    let i = 0
    model.injectFaultMix(
      [{ kind: "5xx", rate: 0.1 }, { kind: "429", rate: 0.05 }, { kind: "timeout", rate: 0.02 }, { kind: "drop", rate: 0.01 }],
      () => draws[i++] ?? 1
    )
    const statuses = draws.map(() => request(model, "GET", `/organization/${org}/robots`).status)
    assert.deepStrictEqual(statuses, [502, 429, "timeout", "timeout", 200])
    assert.deepStrictEqual(model.faultsInjected, { "5xx": 1, "429": 1, timeout: 1, drop: 1 })
    model.clearFaults()
    assert.strictEqual(request(model, "GET", `/organization/${org}/robots`).status, 200)
    assert.deepStrictEqual(model.faultsInjected, { "5xx": 1, "429": 1, timeout: 1, drop: 1 })
    assert.throws(() => model.injectFaultMix([{ kind: "5xx", rate: 0.8 }, { kind: "429", rate: 0.3 }]))
    assert.throws(() => model.injectFaultMix([{ kind: "5xx", rate: -0.1 }]))
  })

  it("counts requests by endpoint and status, faults and timeouts included", () => {
    const model = newModel()
    createRepo(model, "ns/a")
    createRepo(model, "ns/a")
    model.injectFaults({ kind: "timeout", next: 1 })
    request(model, "GET", `/repository/${org}/ns/a`)
    request(model, "GET", `/repository/${org}/ns/a`)
    const counts = model.requestCounts()
    assert.strictEqual(counts.total, 4)
    assert.deepStrictEqual(counts.byEndpoint["POST /api/v1/repository"], { "201": 1, "400": 1 })
    assert.deepStrictEqual(counts.byEndpoint["GET /api/v1/repository/{repository}"], { timeout: 1, "200": 1 })
    model.resetRequestCounts()
    assert.deepStrictEqual(model.requestCounts(), { total: 0, byEndpoint: {} })
  })

  it("snapshots never contain tokens", () => {
    const model = newModel()
    const robot = request(model, "PUT", `/organization/${org}/robots/s`).json as { token: string }
    assert.notInclude(JSON.stringify(model.snapshot()), robot.token)
    assert.notInclude(JSON.stringify(model.snapshot()), adminToken)
  })
})
