import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, TestClock } from "effect"
import { provisionFailureTime, provisionTime } from "../../src/programs/provisionMetrics.ts"
import { applyImageRepository, converge, world } from "./World.ts"

const countOf = (histogram: typeof provisionTime) => Effect.map(Metric.value(histogram), (h) => h.count)

describe("the original's provisioning SLI", () => {
  it.effect("observes creation → ready once per object, and creation → failed for a failed one", () =>
    Effect.gen(function*() {
      const ready = yield* countOf(provisionTime)
      const failed = yield* countOf(provisionFailureTime)
      yield* TestClock.adjust("1 hour")
      yield* applyImageRepository("ok")
      yield* TestClock.adjust("7 seconds")
      yield* converge("ok")
      yield* converge("ok")
      assert.strictEqual(yield* countOf(provisionTime), ready + 1)

      yield* applyImageRepository("bad", { image: { name: "Upper/Case" } })
      yield* converge("bad")
      assert.strictEqual(yield* countOf(provisionFailureTime), failed + 1)
      assert.strictEqual(yield* countOf(provisionTime), ready + 1)
    }).pipe(Effect.provide(world())))
})
