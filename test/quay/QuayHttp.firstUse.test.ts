/**
 * The token's self-check runs at the controllers' first Quay call, not at start-up: an operator with nothing to do
 * asks Quay nothing, and one that does work still gets the check's clear line, once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Logger, Option, Redacted } from "effect"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"

const org = "acme"
const adminToken = "admin-token-5c1e"

const started = (token: string, scopes?: ReadonlyArray<"org:admin" | "repo:admin" | "repo:create">) =>
  Effect.gen(function*() {
    const sim = yield* QuaySimulator.start({
      organization: org,
      token: adminToken,
      ...(scopes === undefined ? {} : { tokens: [{ token, scopes }] })
    })
    const quay = yield* Layer.build(QuayHttp.layer({ apiUrl: sim.apiUrl, organization: org, token: Redacted.make(token) })).pipe(
      Effect.map(Context.get(Quay))
    )
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
    })
    const firstUse = yield* QuayHttp.checkedOnFirstUse.pipe(
      Effect.provideService(Quay, quay),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    )
    return { sim, firstUse, lines }
  })

/** Waits (polling, no deadline of its own: the test's timeout bounds it) until a log line matches. */
const lineMatching = (lines: ReadonlyArray<string>, pattern: RegExp) =>
  Effect.gen(function*() {
    for (;;) {
      const line = lines.find((text) => pattern.test(text))
      if (line !== undefined) return line
      yield* Effect.sleep("10 millis")
    }
  })

describe("QuayHttp.checkedOnFirstUse", () => {
  it.scopedLive("asks Quay nothing until the controllers' first call, then checks the token once", () =>
    Effect.gen(function*() {
      const { sim, firstUse, lines } = yield* started(adminToken)
      const signalled = yield* Deferred.make<void>()
      const waiting = yield* Effect.fork(Effect.zipRight(firstUse.used, Deferred.succeed(signalled, undefined)))
      yield* Effect.sleep("100 millis")
      assert.strictEqual(sim.model.requestCounts().total, 0)
      assert.isFalse(yield* Deferred.isDone(signalled))
      assert.deepStrictEqual(lines, [])

      // verifyAccess is the check itself, not the controllers' use.
      yield* firstUse.quay.verifyAccess()
      assert.isFalse(yield* Deferred.isDone(signalled))
      const afterVerify = sim.model.requestCounts().total

      assert.isTrue(Option.isNone(yield* firstUse.quay.getRepository("ns/app")))
      yield* Fiber.join(waiting)
      yield* lineMatching(lines, /the Quay token reaches what the operator needs/)
      yield* firstUse.quay.getRepository("ns/app")
      // One call, the three requests of the check, one more call: the check ran once.
      assert.strictEqual(sim.model.requestCounts().total - afterVerify, 1 + 3 + 1)
      assert.strictEqual(lines.filter((line) => line.includes("the Quay token reaches")).length, 1)
    }))

  it.scopedLive("a token without a permission is named as one Error line at the first call", () =>
    Effect.gen(function*() {
      const { firstUse, lines } = yield* started("narrow", ["repo:admin", "repo:create"])
      yield* Effect.sleep("50 millis")
      assert.deepStrictEqual(lines, [])
      yield* firstUse.quay.createRepository({ name: "ns/app", visibility: "public", description: "" })
      const error = yield* lineMatching(lines, /^ERROR /)
      assert.include(error, "it lacks the \"Administer Organization\" permission")
    }))
})
