import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option, Redacted, Tracer } from "effect"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { Quay } from "../../src/services/Quay.ts"

const organization = "myorg"
const world = QuayInMemory.layer({ organization })
const freeWorld = QuayInMemory.layer({ organization, plan: "free" })

describe("QuayInMemory", () => {
  it.effect("exposes the organization and the default registry host", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      assert.strictEqual(quay.organization, organization)
      assert.strictEqual(quay.registryHost, "quay.io")
    }).pipe(Effect.provide(world)))

  it.effect("takes the registry host from the options", () =>
    Effect.gen(function*() {
      const { quay } = yield* QuayInMemory.make({ organization, registryHost: "127.0.0.1:8443" })
      assert.strictEqual(quay.registryHost, "127.0.0.1:8443")
    }))

  it.effect("creates, reads, lists and deletes repositories", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      assert.isTrue(Option.isNone(yield* quay.getRepository("ns/app")))
      yield* quay.createRepository({ name: "ns/app", visibility: "public", description: "my app" })
      const got = yield* quay.getRepository("ns/app")
      assert.deepStrictEqual(got, Option.some({ namespace: organization, name: "ns/app", visibility: "public", description: "my app" }))
      const listed = yield* quay.listRepositories()
      assert.deepStrictEqual(listed.map((r) => r.name), ["ns/app"])
      yield* quay.deleteRepository("ns/app")
      assert.isTrue(Option.isNone(yield* quay.getRepository("ns/app")))
      // Deleting what is absent succeeds (Quay answers 204 either way).
      yield* quay.deleteRepository("ns/app")
    }).pipe(Effect.provide(world)))

  it.effect("a second create is QuayRepositoryAlreadyExists", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      yield* quay.createRepository({ name: "ns/dup", visibility: "private", description: "" })
      const error = yield* Effect.flip(quay.createRepository({ name: "ns/dup", visibility: "public", description: "" }))
      assert.strictEqual(error._tag, "QuayRepositoryAlreadyExists")
    }).pipe(Effect.provide(world)))

  it.effect("the creator gets an explicit admin grant, visible in listPermissions", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      yield* quay.createRepository({ name: "ns/granted", visibility: "public", description: "" })
      const permissions = yield* quay.listPermissions("ns/granted")
      assert.deepStrictEqual([...permissions], [["operator", "admin"]])
    }).pipe(Effect.provide(world)))

  it.effect("an invalid repository name is QuayInvalidRequest", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const error = yield* Effect.flip(quay.createRepository({ name: "ns/UPPER", visibility: "public", description: "" }))
      assert.strictEqual(error._tag, "QuayInvalidRequest")
      assert.include(error.message, "Invalid repository name")
    }).pipe(Effect.provide(world)))

  it.effect("free plan: private create and change to private are QuayPlanLimitExceeded, public works", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const create = yield* Effect.flip(quay.createRepository({ name: "ns/p", visibility: "private", description: "" }))
      assert.strictEqual(create._tag, "QuayPlanLimitExceeded")
      yield* quay.createRepository({ name: "ns/p", visibility: "public", description: "" })
      const change = yield* Effect.flip(quay.changeVisibility("ns/p", "private"))
      assert.strictEqual(change._tag, "QuayPlanLimitExceeded")
      const control = yield* QuayInMemory.QuayControl
      yield* control.setPlan("paid")
      yield* quay.changeVisibility("ns/p", "private")
      assert.deepStrictEqual(
        Option.map(yield* quay.getRepository("ns/p"), (r) => r.visibility),
        Option.some("private" as const)
      )
    }).pipe(Effect.provide(freeWorld)))

  it.effect("free plan refuses 'private' even for a repository that is private already", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      yield* control.outOfBand.createRepository({ name: "ns/already", visibility: "private" })
      const error = yield* Effect.flip(quay.changeVisibility("ns/already", "private"))
      assert.strictEqual(error._tag, "QuayPlanLimitExceeded")
      yield* quay.changeVisibility("ns/already", "public")
    }).pipe(Effect.provide(freeWorld)))

  it.effect("changeVisibility of a missing repository is QuayNotFound (Quay answers 200 null)", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const error = yield* Effect.flip(quay.changeVisibility("ns/none", "public"))
      assert.strictEqual(error._tag, "QuayNotFound")
    }).pipe(Effect.provide(world)))

  it.effect("robots: create, get, duplicate, list without tokens, regenerate, delete", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      assert.isTrue(Option.isNone(yield* quay.getRobot("ns_app_push")))
      const robot = yield* quay.createRobot("ns_app_push", "push robot")
      assert.strictEqual(robot.name, `${organization}+ns_app_push`)
      assert.strictEqual(robot.shortName, "ns_app_push")
      assert.strictEqual(robot.description, "push robot")
      assert.match(Redacted.value(robot.token), /^[A-Z0-9]{64}$/)
      const got = yield* quay.getRobot("ns_app_push")
      assert.isTrue(Option.isSome(got))
      if (Option.isSome(got)) assert.strictEqual(Redacted.value(got.value.token), Redacted.value(robot.token))

      const dup = yield* Effect.flip(quay.createRobot("ns_app_push", "again"))
      assert.strictEqual(dup._tag, "QuayRobotAlreadyExists")

      const listed = yield* quay.listRobots()
      assert.deepStrictEqual(listed, [{ name: `${organization}+ns_app_push`, shortName: "ns_app_push", description: "push robot" }])

      const regenerated = yield* quay.regenerateRobotToken("ns_app_push")
      assert.notStrictEqual(Redacted.value(regenerated.token), Redacted.value(robot.token))
      assert.deepStrictEqual(
        Option.map(yield* control.robotToken("ns_app_push"), Redacted.value),
        Option.some(Redacted.value(regenerated.token))
      )

      yield* quay.deleteRobot("ns_app_push")
      assert.isTrue(Option.isNone(yield* quay.getRobot("ns_app_push")))
      // Absent: Quay says 400 "Could not find robot", the contract says success.
      yield* quay.deleteRobot("ns_app_push")
      const regenerateMissing = yield* Effect.flip(quay.regenerateRobotToken("ns_app_push"))
      assert.strictEqual(regenerateMissing._tag, "QuayNotFound")
    }).pipe(Effect.provide(world)))

  it.effect("an invalid robot name is QuayInvalidRequest", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const error = yield* Effect.flip(quay.createRobot("Bad-Name", ""))
      assert.strictEqual(error._tag, "QuayInvalidRequest")
      assert.include(error.message, "is invalid")
    }).pipe(Effect.provide(world)))

  it.effect("permissions: upsert, list, delete (absent grant succeeds), unknown robot is QuayNotFound", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      yield* quay.createRepository({ name: "ns/perm", visibility: "private", description: "" })
      const robot = yield* quay.createRobot("ns_perm", "")
      yield* quay.setPermission("ns/perm", robot.name, "read")
      yield* quay.setPermission("ns/perm", robot.name, "write")
      const permissions = yield* quay.listPermissions("ns/perm")
      assert.strictEqual(permissions.get(robot.name), "write")
      assert.strictEqual(permissions.get("operator"), "admin")
      yield* quay.deletePermission("ns/perm", robot.name)
      assert.isFalse((yield* quay.listPermissions("ns/perm")).has(robot.name))
      yield* quay.deletePermission("ns/perm", robot.name)
      const unknown = yield* Effect.flip(quay.setPermission("ns/perm", `${organization}+ghost`, "read"))
      assert.strictEqual(unknown._tag, "QuayNotFound")
      // A missing repository: Quay's own 500, surfaced as QuayUnavailable.
      const missingRepo = yield* Effect.flip(quay.setPermission("ns/nothing", robot.name, "read"))
      assert.strictEqual(missingRepo._tag, "QuayUnavailable")
      // listPermissions of a missing repository is empty (Quay answers 200 {}).
      assert.strictEqual((yield* quay.listPermissions("ns/nothing")).size, 0)
    }).pipe(Effect.provide(world)))

  it.effect("robot tokens authorize registry access by role, and stop working after regenerate", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      yield* quay.createRepository({ name: "ns/reg", visibility: "private", description: "" })
      const push = yield* quay.createRobot("ns_reg_push", "")
      const pull = yield* quay.createRobot("ns_reg_pull", "")
      yield* quay.setPermission("ns/reg", push.name, "write")
      yield* quay.setPermission("ns/reg", pull.name, "read")
      assert.isTrue(yield* control.authorize(push.name, push.token, "ns/reg", "push"))
      assert.isTrue(yield* control.authorize(push.name, push.token, "ns/reg", "pull"))
      assert.isFalse(yield* control.authorize(pull.name, pull.token, "ns/reg", "push"))
      assert.isTrue(yield* control.authorize(pull.name, pull.token, "ns/reg", "pull"))
      assert.isFalse(yield* control.authorize(push.name, pull.token, "ns/reg", "pull"))
      assert.isFalse(yield* control.authorize("", Redacted.make(""), "ns/reg", "pull"))
      yield* quay.changeVisibility("ns/reg", "public")
      assert.isTrue(yield* control.authorize("", Redacted.make(""), "ns/reg", "pull"))
      assert.isFalse(yield* control.authorize("", Redacted.make(""), "ns/reg", "push"))
      yield* quay.regenerateRobotToken("ns_reg_push")
      assert.isFalse(yield* control.authorize(push.name, push.token, "ns/reg", "push"))
      // Deleting a robot removes its grants.
      yield* quay.deleteRobot("ns_reg_pull")
      const snapshot = yield* control.snapshot
      assert.deepStrictEqual(
        snapshot.permissions.filter((p) => p.repository === "ns/reg").map((p) => p.username).sort(),
        ["myorg+ns_reg_push", "operator"]
      )
    }).pipe(Effect.provide(world)))

  it.effect("faults surface as the typed errors of the live layer, without hanging", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      yield* control.injectFaults({ kind: "5xx", next: 1 })
      const badGateway = yield* Effect.flip(quay.getRepository("ns/x"))
      assert.strictEqual(badGateway._tag, "QuayUnavailable")
      if (badGateway._tag === "QuayUnavailable") assert.strictEqual(badGateway.status, 502)
      yield* control.injectFaults({ kind: "429", next: 1 })
      assert.strictEqual((yield* Effect.flip(quay.listRobots()))._tag, "QuayRateLimited")
      yield* control.injectFaults({ kind: "timeout", next: 1 })
      const timeout = yield* Effect.flip(quay.listRobots())
      assert.strictEqual(timeout._tag, "QuayUnavailable")
      assert.strictEqual(timeout._tag === "QuayUnavailable" ? timeout.detail : "", "timeout")
      yield* control.injectFaults({ kind: "503", next: 1 })
      const readOnly = yield* Effect.flip(quay.createRobot("r1", ""))
      assert.strictEqual(readOnly._tag === "QuayUnavailable" ? readOnly.status : 0, 503)
      // The faults were used up: the next call works, and nothing was created by the failed one.
      assert.deepStrictEqual(yield* quay.listRobots(), [])
    }).pipe(Effect.provide(world)))

  it.effect("a fault rate draws from the injected random source", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      const draws = [0.1, 0.9, 0.4, 0.6]
      let i = 0
      yield* control.injectFaults({ kind: "5xx", rate: 0.5, random: () => draws[i++ % draws.length] ?? 1 })
      const outcomes: Array<boolean> = []
      for (let n = 0; n < 4; n++) outcomes.push(Exit.isSuccess(yield* Effect.exit(quay.listRobots())))
      assert.deepStrictEqual(outcomes, [false, true, false, true])
      yield* control.clearFaults
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(quay.listRobots())))
    }).pipe(Effect.provide(world)))

  it.effect("counts calls by operation; out-of-band changes cost nothing", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      yield* control.outOfBand.createRepository({ name: "ns/oob", visibility: "public" })
      assert.deepStrictEqual(yield* control.calls, { total: 0, byOperation: {} })
      yield* quay.getRepository("ns/oob")
      yield* quay.getRepository("ns/oob")
      yield* quay.listRobots()
      assert.deepStrictEqual(yield* control.calls, { total: 3, byOperation: { getRepository: 2, listRobots: 1 } })
      const requests = yield* control.requests
      assert.deepStrictEqual(requests.byEndpoint["GET /api/v1/repository/{repository}"], { "200": 2 })
      yield* control.resetCalls
      assert.strictEqual((yield* control.calls).total, 0)
      assert.strictEqual((yield* control.requests).total, 0)
    }).pipe(Effect.provide(world)))

  it.effect("out-of-band changes are seen by the operator's calls", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      yield* quay.createRepository({ name: "ns/oob2", visibility: "public", description: "" })
      yield* quay.createRobot("ns_oob2", "")
      assert.isTrue(yield* control.outOfBand.changeVisibility("ns/oob2", "private"))
      assert.deepStrictEqual(
        Option.map(yield* quay.getRepository("ns/oob2"), (r) => r.visibility),
        Option.some("private" as const)
      )
      assert.isTrue(yield* control.outOfBand.deleteRobot("ns_oob2"))
      assert.isTrue(Option.isNone(yield* quay.getRobot("ns_oob2")))
      assert.isTrue(yield* control.outOfBand.deleteRepository("ns/oob2"))
      assert.isFalse(yield* control.outOfBand.deleteRepository("ns/oob2"))
      assert.isTrue(Option.isNone(yield* quay.getRepository("ns/oob2")))
      // A repository someone else created: it exists, and its creator holds the admin grant.
      yield* control.outOfBand.createRepository({ name: "ns/theirs", visibility: "private", owner: "alice" })
      const create = yield* Effect.flip(quay.createRepository({ name: "ns/theirs", visibility: "private", description: "" }))
      assert.strictEqual(create._tag, "QuayRepositoryAlreadyExists")
      assert.strictEqual((yield* quay.listPermissions("ns/theirs")).get("alice"), "admin")
    }).pipe(Effect.provide(world)))

  it.effect("listRepositories pages past 100 repositories", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      for (let i = 0; i < 230; i++) yield* control.outOfBand.createRepository({ name: `ns/r${i}`, visibility: "public" })
      const all = yield* quay.listRepositories()
      assert.strictEqual(all.length, 230)
      assert.strictEqual(new Set(all.map((r) => r.name)).size, 230)
      assert.deepStrictEqual((yield* control.requests).byEndpoint["GET /api/v1/repository"], { "200": 3 })
    }).pipe(Effect.provide(world)))

  it.effect("snapshot never holds tokens", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      const robot = yield* quay.createRobot("secretive", "d")
      const text = JSON.stringify(yield* control.snapshot)
      assert.notInclude(text, Redacted.value(robot.token))
      assert.include(text, "myorg+secretive")
    }).pipe(Effect.provide(world)))

  it.effect("each layer build is an independent world", () =>
    Effect.gen(function*() {
      const a = yield* QuayInMemory.make({ organization })
      const b = yield* QuayInMemory.make({ organization })
      yield* a.quay.createRepository({ name: "ns/only-a", visibility: "public", description: "" })
      assert.isTrue(Option.isNone(yield* b.quay.getRepository("ns/only-a")))
      assert.strictEqual((yield* Effect.flip(b.quay.regenerateRobotToken("nope")))._tag, "QuayNotFound")
    }))

  it.effect("names that URL handling would fold ('.', '..', empty segments) are refused before any request", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      for (const name of ["ns/../other", "ns//x", "", "ns/."]) {
        const error = yield* Effect.flip(quay.getRepository(name))
        assert.strictEqual(error._tag, "QuayInvalidRequest", name)
      }
      assert.strictEqual((yield* Effect.flip(quay.deleteRobot("..")))._tag, "QuayInvalidRequest")
      assert.strictEqual((yield* control.requests).total, 0)
    }).pipe(Effect.provide(world)))

  it.effect("every operation runs in a span named Quay.<operation>, without tokens in attributes", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const base = yield* Effect.tracer
      const spans: Array<{ name: string; attributes: string }> = []
      const tracer = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          const span = base.span(name, parent, context, links, startTime, kind, options)
          spans.push({ name, attributes: JSON.stringify(Object.fromEntries(span.attributes)) })
          return span
        },
        context: (f, fiber) => base.context(f, fiber)
      })
      const robot = yield* Effect.gen(function*() {
        yield* quay.createRepository({ name: "ns/s", visibility: "public", description: "" })
        yield* quay.getRepository("ns/s")
        yield* quay.changeVisibility("ns/s", "private")
        yield* quay.listRepositories()
        const created = yield* quay.createRobot("spanbot", "")
        yield* quay.getRobot("spanbot")
        const regenerated = yield* quay.regenerateRobotToken("spanbot")
        yield* quay.listRobots()
        yield* quay.setPermission("ns/s", created.name, "read")
        yield* quay.listPermissions("ns/s")
        yield* quay.deletePermission("ns/s", created.name)
        yield* quay.deleteRobot("spanbot")
        yield* quay.deleteRepository("ns/s")
        return [created, regenerated]
      }).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(spans.map((s) => s.name), [
        "Quay.createRepository",
        "Quay.getRepository",
        "Quay.changeVisibility",
        "Quay.listRepositories",
        "Quay.createRobot",
        "Quay.getRobot",
        "Quay.regenerateRobotToken",
        "Quay.listRobots",
        "Quay.setPermission",
        "Quay.listPermissions",
        "Quay.deletePermission",
        "Quay.deleteRobot",
        "Quay.deleteRepository"
      ])
      const attributes = spans.map((s) => s.attributes).join("\n")
      for (const r of robot) assert.notInclude(attributes, Redacted.value(r.token))
    }).pipe(Effect.provide(world)))
})
