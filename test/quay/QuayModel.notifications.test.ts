/** The simulator's repository notification endpoints, as Quay's `endpoints/api/repositorynotification.py` answers. */
import { assert, describe, it } from "@effect/vitest"
import { adminToken, apiException, createRepo, newModel, org, request } from "./modelSupport.ts"

const base = `/repository/${org}/tenant/app/notification/`
const webhook = (url: unknown, title?: string) => ({
  event: "repo_push",
  method: "webhook",
  config: { url },
  eventConfig: {},
  ...(title === undefined ? {} : { title })
})

const setup = () => {
  const model = newModel()
  createRepo(model, "tenant/app")
  return model
}

const uuidOf = (json: unknown): string => String((json as { uuid: string }).uuid)

describe("QuayModel: repository notifications", () => {
  it("create answers 201 with the stored object (event_config, number_of_failures); list shows it; titles are not unique", () => {
    const model = setup()
    const created = request(model, "POST", base, { body: webhook("https://ci.example/hook", "build") })
    assert.strictEqual(created.status, 201)
    assert.deepStrictEqual(created.json, {
      uuid: uuidOf(created.json),
      title: "build",
      event: "repo_push",
      method: "webhook",
      config: { url: "https://ci.example/hook" },
      event_config: {},
      number_of_failures: 0
    })
    const again = request(model, "POST", base, { body: webhook("https://ci.example/hook", "build") })
    assert.strictEqual(again.status, 201)
    const untitled = request(model, "POST", base, { body: webhook("https://ci.example/other") })
    assert.strictEqual((untitled.json as { title: unknown }).title, null)
    const listed = request(model, "GET", base)
    assert.strictEqual(listed.status, 200)
    const notifications = (listed.json as { notifications: ReadonlyArray<{ uuid: string }> }).notifications
    assert.deepStrictEqual(notifications.map((n) => n.uuid), [uuidOf(created.json), uuidOf(again.json), uuidOf(untitled.json)])
  })

  it("a missing repository lists as empty (200); creating there is a 500 for a webhook, a 400 for e-mail", () => {
    const model = newModel()
    assert.deepStrictEqual(request(model, "GET", base).json, { notifications: [] })
    assert.strictEqual(request(model, "POST", base, { body: webhook("https://ci.example/") }).status, 500)
    const mail = request(model, "POST", base, {
      body: { event: "repo_push", method: "email", config: { email: "a@example.com" }, eventConfig: {} }
    })
    assert.deepStrictEqual(
      mail.json,
      apiException(400, "invalid_request", "The specified e-mail address is not authorized to receive notifications for this repository")
    )
  })

  it("the body schema: eventConfig is required, title must be a string", () => {
    const model = setup()
    const missing = request(model, "POST", base, { body: { event: "repo_push", method: "webhook", config: { url: "https://x.example/" } } })
    assert.strictEqual(missing.status, 400)
    assert.match(String((missing.json as { detail: string }).detail), /^'eventConfig' is a required property\n/)
    const badTitle = request(model, "POST", base, { body: { ...webhook("https://x.example/"), title: 5 } })
    assert.strictEqual(badTitle.status, 400)
    assert.match(String((badTitle.json as { detail: string }).detail), /^5 is not of type 'string'/)
  })

  it("methods validate their config with Quay's texts; an unknown method or event is an unhandled 500", () => {
    const model = setup()
    const detail = (body: unknown) => {
      const reply = request(model, "POST", base, { body })
      return reply.status === 400 ? (reply.json as { detail: string }).detail : reply.status
    }
    assert.strictEqual(detail(webhook("")), "Missing webhook URL")
    assert.strictEqual(detail(webhook("ftp://x.example/")), "Invalid webhook URL")
    assert.strictEqual(detail(webhook("http://LOCALHOST:8080/x")), "Invalid webhook URL")
    assert.strictEqual(detail(webhook("http://127.0.0.1/x")), "Invalid webhook URL")
    // urlparse gives no hostname, and `.lower()` on None raises.
    assert.strictEqual(detail(webhook("http:nohost")), 500)
    assert.strictEqual(detail({ event: "repo_push", method: "email", config: {}, eventConfig: {} }), "Missing e-mail address")
    assert.strictEqual(detail({ event: "repo_push", method: "sms", config: {}, eventConfig: {} }), 500)
    assert.strictEqual(detail({ ...webhook("https://x.example/"), event: "tag_created" }), 500)
    assert.strictEqual(detail({ event: "repo_push", method: "slack", config: {}, eventConfig: {} }), "Missing Slack Callback URL")
    assert.deepStrictEqual(request(model, "GET", base).json, { notifications: [] }, "nothing refused was stored")
  })

  it("an e-mail address works once it is authorized and confirmed for the repository", () => {
    const model = setup()
    const body = { title: "mail", event: "repo_push", method: "email", config: { email: "team@example.com" }, eventConfig: {} }
    assert.strictEqual(request(model, "POST", base, { body }).status, 400)
    model.authorizeEmail("tenant/app", "team@example.com")
    const created = request(model, "POST", base, { body })
    assert.strictEqual(created.status, 201)
    assert.deepStrictEqual((created.json as { config: unknown }).config, { email: "team@example.com" })
  })

  it("get is by uuid alone (404 ApiException when unknown); delete only within the repository (else 400), then 204", () => {
    const model = setup()
    createRepo(model, "tenant/other")
    const uuid = uuidOf(request(model, "POST", base, { body: webhook("https://x.example/", "t") }).json)
    assert.strictEqual(request(model, "GET", `/repository/${org}/tenant/other/notification/${uuid}`).status, 200)
    assert.deepStrictEqual(request(model, "GET", `${base}nope`).json, apiException(404, "not_found", "Not Found"))
    const elsewhere = request(model, "DELETE", `/repository/${org}/tenant/other/notification/${uuid}`)
    assert.deepStrictEqual(
      elsewhere.json,
      apiException(400, "invalid_request", `No repository notification found for: ${org}, tenant/other, ${uuid}`)
    )
    const deleted = request(model, "DELETE", `${base}${uuid}`)
    assert.strictEqual(deleted.status, 204)
    assert.strictEqual(deleted.text, "")
    assert.strictEqual(request(model, "DELETE", `${base}${uuid}`).status, 400)
  })

  it("reset (POST on the uuid) is 204; test queues (200 {}); both refuse unknown uuids with 400", () => {
    const model = setup()
    createRepo(model, "tenant/other")
    const uuid = uuidOf(request(model, "POST", base, { body: webhook("https://x.example/", "t") }).json)
    assert.strictEqual(request(model, "POST", `${base}${uuid}`).status, 204)
    assert.deepStrictEqual(
      request(model, "POST", `/repository/${org}/tenant/other/notification/${uuid}`).json,
      { message: `No repository notification found with uuid: ${uuid}` }
    )
    assert.strictEqual(request(model, "POST", `${base}nope`).status, 400)
    const tested = request(model, "POST", `${base}${uuid}/test`)
    assert.strictEqual(tested.status, 200)
    assert.deepStrictEqual(tested.json, {})
    assert.deepStrictEqual(
      request(model, "POST", `${base}nope/test`).json,
      apiException(400, "invalid_request", `No repository notification found for: ${org}, tenant/app, nope`)
    )
  })

  it("needs repository admin: repo:read is 403, no token is 401 on reads and the CSRF 403 on writes", () => {
    const model = setup()
    model.addToken("reader", ["repo:read"])
    assert.deepStrictEqual(request(model, "GET", base, { token: "reader" }).json, apiException(403, "insufficient_scope", "Unauthorized"))
    assert.strictEqual(request(model, "GET", base, { token: null }).status, 401)
    const anonymous = request(model, "POST", base, { token: null, body: webhook("https://x.example/") })
    assert.strictEqual(anonymous.status, 403)
    assert.strictEqual(anonymous.text, JSON.stringify({ error: "CSRF token was invalid or missing." }))
    assert.strictEqual(request(model, "GET", base, { token: adminToken }).status, 200)
  })

  it("the list without its trailing slash is a 308 for GET; the repository takes its notifications when deleted", () => {
    const model = setup()
    const redirect = request(model, "GET", base.slice(0, -1))
    assert.strictEqual(redirect.status, 308)
    assert.strictEqual(redirect.headers["location"], `http://quay.example/api/v1${base}`)
    request(model, "POST", base, { body: webhook("https://x.example/", "t") })
    assert.strictEqual(model.snapshot().notifications.length, 1)
    assert.strictEqual(request(model, "DELETE", `/repository/${org}/tenant/app`).status, 204)
    assert.deepStrictEqual(model.snapshot().notifications, [])
    createRepo(model, "tenant/app")
    assert.deepStrictEqual(request(model, "GET", base).json, { notifications: [] })
  })

  it("a Quay without the notification API answers every notification endpoint with its 404 page", () => {
    const model = setup()
    model.setNotificationsAvailable(false)
    const listed = request(model, "GET", base)
    assert.strictEqual(listed.status, 404)
    assert.match(String(listed.headers["content-type"]), /text\/html/)
    assert.strictEqual(request(model, "POST", base, { body: webhook("https://x.example/") }).status, 404)
    assert.strictEqual(request(model, "DELETE", `${base}x`).status, 404)
    assert.strictEqual(request(model, "GET", `/repository/${org}/tenant/app`).status, 200, "the rest is served")
  })
})
