import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as Telemetry from "../../src/runtime/Telemetry.ts"
import { applyImageRepository, converge, world } from "../programs/World.ts"

describe("Telemetry", () => {
  it.effect("the provided layer receives the programs' spans, with their attributes and no robot token", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample")
      yield* converge("sample")
      const spans = yield* Effect.flatMap(Telemetry.SpanRecorder, (recorder) => recorder.spans)
      const names = new Set(spans.map((span) => span.name))
      assert.isTrue(names.has("reconcileImageRepository"))
      assert.isTrue(names.has("provision"))
      assert.isTrue([...names].some((name) => name.startsWith("Quay.")), "every Quay call has a span")
      const reconcile = spans.find((span) => span.name === "reconcileImageRepository")
      assert.strictEqual(reconcile?.attributes.get("name"), "sample")

      const quay = yield* QuayInMemory.QuayControl
      const robots = (yield* quay.snapshot).robots
      assert.isAbove(robots.length, 0)
      const recorded = JSON.stringify(spans.map((span) => [span.name, [...span.attributes.entries()]]))
      for (const robot of robots) {
        const token = Option.getOrThrow(yield* quay.robotToken(robot.shortName))
        assert.notInclude(recorded, Redacted.value(token))
      }
    }).pipe(Effect.provide(Layer.merge(world(), Telemetry.recording))))
})
