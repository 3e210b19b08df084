/**
 * Issue 11: the answers real Quay (its own code, served with PostgreSQL) gives where the simulator used to differ.
 * One test per item of the issue, numbered as there; each failed on the simulator before.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { adminToken, apiException, createRepo, newModel, org, request } from "./modelSupport.ts"

const jwt = (header: unknown, payload: unknown) =>
  [header, payload].map((part) => Buffer.from(JSON.stringify(part)).toString("base64url")).join(".") + ".c2ln"

describe("QuayModel answers as real Quay does (issue 11)", () => {
  it("1. repo_kind other than image or null is a 400 with jsonschema's text", () => {
    const model = newModel()
    const body = { namespace: org, repository: "ns/app", visibility: "public", description: "" }
    const answer = request(model, "POST", "/repository", { body: { ...body, repo_kind: "application" } })
    assert.strictEqual(answer.status, 400)
    const detail = (answer.json as { detail: string }).detail
    assert.strictEqual(
      detail,
      `'application' is not one of ['image', None]

Failed validating 'enum' in schema['properties']['repo_kind']:
    {'description': 'The kind of repository',
     'enum': ['image', None],
     'type': ['string', 'null']}

On instance['repo_kind']:
    'application'`
    )
    assert.deepStrictEqual(answer.json, apiException(400, "invalid_request", detail))
    assert.strictEqual(request(model, "POST", "/repository", { body: { ...body, repo_kind: null } }).status, 201)
    assert.strictEqual(request(model, "POST", "/repository", { body: { ...body, repository: "ns/b", repo_kind: "image" } }).status, 201)
  })

  it("2. every 204 is labelled application/json with an empty body; OPTIONS is 200 text/html, empty", () => {
    const model = newModel()
    createRepo(model, "ns/app")
    request(model, "PUT", `/organization/${org}/robots/bot`)
    request(model, "PUT", `/repository/${org}/ns/app/permissions/user/${org}+bot`, { body: { role: "read" } })
    for (const path of [`/repository/${org}/ns/app/permissions/user/${org}+bot`, `/organization/${org}/robots/bot`, `/repository/${org}/ns/app`]) {
      const answer = request(model, "DELETE", path)
      assert.deepStrictEqual([answer.status, answer.headers["content-type"], answer.text], [204, "application/json", ""], path)
    }
    const options = request(model, "OPTIONS", "/repository", { token: null })
    assert.deepStrictEqual([options.status, options.headers["content-type"], options.text], [200, "text/html; charset=utf-8", ""])
  })

  it("3. an anonymous or invalid-token repository list is empty unless public=true", () => {
    const model = newModel()
    createRepo(model, "ns/open", "public")
    createRepo(model, "ns/closed", "private")
    for (const token of [null, "not-a-token"]) {
      const listed = request(model, "GET", "/repository", { token, query: { namespace: org } })
      assert.deepStrictEqual([listed.status, listed.json], [200, { repositories: [] }])
      const publicOnes = request(model, "GET", "/repository", { token, query: { namespace: org, public: "true" } })
      assert.deepStrictEqual((publicOnes.json as { repositories: Array<{ name: string }> }).repositories.map((r) => r.name), ["ns/open"])
    }
    // The public repository itself stays readable anonymously.
    assert.strictEqual(request(model, "GET", `/repository/${org}/ns/open`, { token: null }).status, 200)
  })

  it("4. the slash-adding 308 is for GET/HEAD only: DELETE and PUT reach the repository rule, POST is a 405", () => {
    const model = newModel()
    createRepo(model, "ns/app")
    const path = `/repository/${org}/ns/app/permissions/user`
    assert.strictEqual(request(model, "GET", path).status, 308)
    assert.strictEqual(request(model, "HEAD", path).status, 308)
    createRepo(model, "ns/app/permissions/user")
    const deleted = request(model, "DELETE", path)
    assert.strictEqual(deleted.status, 204)
    assert.deepStrictEqual(model.snapshot().repositories.map((r) => r.name), ["ns/app"], "the nested repository went")
    const updated = request(model, "PUT", path, { body: { role: "read" } })
    assert.strictEqual(updated.status, 400)
    assert.match((updated.json as { detail: string }).detail, /^'description' is a required property\n/)
    assert.strictEqual(request(model, "POST", path, { body: {} }).status, 405)
    assert.strictEqual(request(model, "GET", `/repository/${org}/ns/app/permissions/team`).status, 308)
  })

  it("5. unknown paths: a trailing slash Quay's routes do not have is the web UI's 404; a missing one a 308", () => {
    const model = newModel()
    createRepo(model, "ns/app")
    request(model, "PUT", `/organization/${org}/robots/x`)
    for (const path of [`/repository/${org}/ns/app/`, `/organization/${org}/robots/`, `/organization/${org}/robots/x/`]) {
      const answer = request(model, "GET", path)
      assert.strictEqual(answer.status, 404, path)
      assert.match(answer.headers["content-type"] ?? "", /^text\/html/, path)
      assert.match(answer.text, /^<!DOCTYPE html>/, path)
    }
    for (const path of ["/nosuchthing", `/repository/${org}`]) {
      const answer = request(model, "GET", path)
      assert.strictEqual(answer.status, 308, path)
      assert.strictEqual(answer.headers["location"], `http://quay.example/api/v1${path}/`)
    }
  })

  it("6. only a JWT-typed bearer is a JWT: others are ordinary tokens; a JWT without or with an unknown issuer is refused", () => {
    const model = newModel()
    const notJwt = jwt({ alg: "none" }, { iss: "x" })
    assert.deepStrictEqual(
      request(model, "GET", `/organization/${org}/robots`, { token: notJwt }).json,
      apiException(401, "invalid_token", "Requires authentication")
    )
    for (const typ of ["JWT", "at+jwt"]) {
      const noIssuer = request(model, "GET", `/organization/${org}/robots`, { token: jwt({ alg: "RS256", typ }, { sub: "u" }) })
      assert.deepStrictEqual(
        [noIssuer.status, noIssuer.headers["content-type"], noIssuer.text],
        [401, "text/html; charset=utf-8", "{\"error\":\"Token does not contain issuer\"}"]
      )
    }
    const unknown = request(model, "GET", `/organization/${org}/robots`, { token: jwt({ typ: "JWT" }, { iss: "https://sso.example" }) })
    assert.deepStrictEqual([unknown.status, unknown.json], [401, { error: "Issuer https://sso.example not configured" }])
  })

  it("7. the team permission list of a repository is an empty map", () => {
    const model = newModel()
    createRepo(model, "ns/app")
    const answer = request(model, "GET", `/repository/${org}/ns/app/permissions/team/`)
    assert.deepStrictEqual([answer.status, answer.json], [200, { permissions: {} }])
    assert.strictEqual(request(model, "GET", `/repository/${org}/ns/app/permissions/team/`, { token: null }).status, 401)
  })

  it("8. a robot whose full name exceeds 255 characters fails in PostgreSQL with its message", () => {
    const model = newModel()
    const shortName = "a".repeat(255)
    const answer = request(model, "PUT", `/organization/${org}/robots/${shortName}`)
    assert.deepStrictEqual([answer.status, answer.json], [400, { message: "value too long for type character varying(255)\n" }])
    assert.strictEqual(request(model, "PUT", `/organization/${org}/robots/${"a".repeat(255 - org.length - 1)}`).status, 201)
  })

  it("9. status_token is a UUID, an undecodable next_page is page 1, jsonschema errors carry the full text", () => {
    const model = newModel()
    createRepo(model, "ns/app", "private")
    const repository = request(model, "GET", `/repository/${org}/ns/app`).json as { status_token: string }
    assert.match(repository.status_token, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    const garbage = request(model, "GET", "/repository", { query: { namespace: org, next_page: "!!not-a-token" } })
    assert.deepStrictEqual((garbage.json as { repositories: Array<{ name: string }> }).repositories.map((r) => r.name), ["ns/app"])
    const missing = request(model, "POST", "/repository", { body: { repository: "x", description: "" } })
    assert.strictEqual(
      (missing.json as { detail: string }).detail,
      `'visibility' is a required property

Failed validating 'required' in schema:
    {'description': 'Description of a new repository',
     'properties': {'description': {'description': 'Markdown encoded '
                                                   'description for the '
                                                   'repository',
                                    'type': 'string'},
                    'namespace': {'description': 'Namespace in which the '
                                                 'repository should be '
                                                 'created. If omitted, the '
                                                 'username of the caller '
                                                 'is used',
                                  'type': 'string'},
                    'repo_kind': {'description': 'The kind of repository',
                                  'enum': ['image', None],
                                  'type': ['string', 'null']},
                    'repository': {'description': 'Repository name',
                                   'type': 'string'},
                    'visibility': {'description': 'Visibility which the '
                                                  'repository will start '
                                                  'with',
                                   'enum': ['public', 'private'],
                                   'type': 'string'}},
     'required': ['repository', 'visibility', 'description'],
     'type': 'object'}

On instance:
    {'description': '', 'repository': 'x'}`
    )
  })
})

describe("the simulator puts those answers on the wire", () => {
  it.scoped("a 204 keeps its application/json label and OPTIONS its text/html over HTTP", () =>
    Effect.gen(function*() {
      const sim = yield* QuaySimulator.start({ organization: org, token: adminToken })
      const call = (method: string, path: string) =>
        Effect.promise(() => fetch(`${sim.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${adminToken}` } }))
      const deleted = yield* call("DELETE", `/repository/${org}/ns/none`)
      assert.deepStrictEqual([deleted.status, deleted.headers.get("content-type"), yield* Effect.promise(() => deleted.text())], [
        204,
        "application/json",
        ""
      ])
      const options = yield* call("OPTIONS", "/repository")
      assert.strictEqual(options.headers.get("content-type"), "text/html; charset=utf-8")
    }))
})
