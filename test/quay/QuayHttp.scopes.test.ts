/**
 * An organization token created with too few permissions: each refused call names the permission it needs, by
 * the name Quay's UI shows, and the start-up self-check names every missing one at once, changing nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Logger, Redacted } from "effect"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { Quay } from "../../src/services/Quay.ts"
import type { Scope } from "../../src/simulator/QuayModel.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { typedFailure } from "../support/typedFailure.ts"

const org = "acme"
const adminToken = "admin-token-8a2f"

/** Quay over HTTP against a simulator, acting with a token that has only `scopes`. */
const quayWithScopes = (scopes: ReadonlyArray<Scope>) =>
  Effect.gen(function*() {
    const sim = yield* QuaySimulator.start({ organization: org, token: adminToken, tokens: [{ token: "scoped", scopes }] })
    const quay = yield* Layer.build(QuayHttp.layer({ apiUrl: sim.apiUrl, organization: org, token: Redacted.make("scoped") })).pipe(
      Effect.map(Context.get(Quay))
    )
    return { sim, quay }
  })

const advice =
  "Generate the organization's token with \"Administer Organization\", \"Administer Repositories\", \"Create Repositories\", " +
  "by a user who administers the organization"

describe("QuayHttp with a token that lacks permissions", () => {
  it.scoped("a refused call names the permission it needs by Quay's UI name", () =>
    Effect.gen(function*() {
      const { quay } = yield* quayWithScopes(["repo:admin", "repo:create"])
      yield* quay.createRepository({ name: "ns/app", visibility: "public", description: "" })
      const error = yield* typedFailure(quay.createRobot("bot", "push robot"))
      assert.strictEqual(error._tag, "QuayUnauthorized")
      assert.strictEqual(
        error.message,
        `Quay refused the operator's token (HTTP 403): it lacks the "Administer Organization" permission. ${advice}`
      )
      const noCreate = yield* quayWithScopes(["repo:admin"])
      const refusedCreate = yield* typedFailure(noCreate.quay.createRepository({ name: "ns/b", visibility: "public", description: "" }))
      assert.include(refusedCreate.message, "it lacks the \"Create Repositories\" permission")
    }))

  it.scoped("verifyAccess names every missing permission at once and changes nothing", () =>
    Effect.gen(function*() {
      const { quay, sim } = yield* quayWithScopes(["repo:read"])
      const before = sim.model.snapshot()
      const error = yield* typedFailure(quay.verifyAccess())
      assert.strictEqual(
        error.message,
        "Quay refused the operator's token (HTTP 403): it lacks the \"Create Repositories\" and \"Administer Organization\" " +
          `and "Administer Repositories" permissions. ${advice}`
      )
      assert.deepStrictEqual(sim.model.snapshot(), before)
      const partial = yield* quayWithScopes(["repo:admin", "repo:create", "user:read"])
      const missingOrg = yield* typedFailure(partial.quay.verifyAccess())
      assert.include(missingOrg.message, "it lacks the \"Administer Organization\" permission.")
    }))

  it.scoped("with the permissions the install step asks for, verifyAccess passes, and so it does in memory", () =>
    Effect.gen(function*() {
      const { quay, sim } = yield* quayWithScopes(["org:admin", "repo:admin", "repo:create"])
      yield* quay.verifyAccess()
      assert.deepStrictEqual(sim.model.snapshot().repositories, [])
      const inMemory = yield* Effect.map(QuayInMemory.make({ organization: org }), ({ quay }) => quay)
      yield* inMemory.verifyAccess()
    }))

  it.scoped("selfCheck logs the refusal as one Error line and lets the operator start", () =>
    Effect.gen(function*() {
      const { quay } = yield* quayWithScopes(["repo:admin", "repo:create"])
      const lines: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
      })
      yield* QuayHttp.selfCheck.pipe(
        Effect.provideService(Quay, quay),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      assert.deepStrictEqual(lines, [
        `ERROR Quay refused the operator's token (HTTP 403): it lacks the "Administer Organization" permission. ${advice}`
      ])
    }))
})
