/** The availability probe's first run waits for the controllers' first Quay call, or one interval at most. */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Option, TestClock } from "effect"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as QuayProbe from "../../src/runtime/QuayProbe.ts"
import { Quay } from "../../src/services/Quay.ts"

/** An in-memory Quay whose probe reads are counted. */
const countingQuay = Effect.gen(function*() {
  const { quay } = yield* QuayInMemory.make({ organization: "my-org" })
  let reads = 0
  const counted: Quay = {
    ...quay,
    getRobot: (shortName) => Effect.zipRight(Effect.sync(() => reads++), quay.getRobot(shortName))
  }
  return { quay: counted, reads: () => reads }
})

describe("QuayProbe.run with firstProbeAfter", () => {
  it.scoped("probes nothing before the first use, and at once after it", () =>
    Effect.gen(function*() {
      const { quay, reads } = yield* countingQuay
      const used = yield* Deferred.make<void>()
      const probe = yield* QuayProbe.run({ interval: "1 minute", firstProbeAfter: Deferred.await(used) }).pipe(
        Effect.provideService(Quay, quay)
      )
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(reads(), 0)
      assert.isTrue(Option.isNone(yield* probe.trouble))
      yield* Deferred.succeed(used, undefined)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(reads(), 1)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(reads(), 2)
    }))

  it.scoped("without any use, the first probe runs one interval after start", () =>
    Effect.gen(function*() {
      const { quay, reads } = yield* countingQuay
      yield* QuayProbe.run({ interval: "1 minute", firstProbeAfter: Effect.never }).pipe(Effect.provideService(Quay, quay))
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(reads(), 0)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(reads(), 1)
    }))
})
