/** The Quay model's injected faults and its request counts and snapshots. */
import { assert, describe, it } from "@effect/vitest"
import { adminToken, createRepo, newModel, org, request } from "./modelSupport.ts"

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
