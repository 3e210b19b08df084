import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as Telemetry from "../../src/runtime/Telemetry.ts"
import { applyImageRepository, converge, world } from "../programs/World.ts"
import { startOtlpReceiver } from "../support/OtlpReceiver.ts"

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

describe("Telemetry over OTLP", () => {
  it.live("with an endpoint, spans reach it as OTLP/HTTP JSON on /v1/traces, with their attributes", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.acquireRelease(Effect.promise(startOtlpReceiver), (r) => Effect.promise(r.close))
      yield* Effect.void.pipe(
        Effect.withSpan("probe", { attributes: { "probe.answer": "42" } }),
        Effect.provide(Telemetry.layer({ otlpEndpoint: `${receiver.endpoint}/`, serviceName: "telemetry-test" }))
      )
      // The layer's scope closed with the effect: its exporter flushed what it held.
      assert.deepStrictEqual(receiver.requests.map((r) => [r.path, r.contentType]), [["/v1/traces", "application/json"]])
      assert.deepStrictEqual(receiver.spans().map((s) => [s.name, s.attributes["probe.answer"]]), [["probe", "42"]])
      assert.include(receiver.requests[0]?.body, "telemetry-test")
    }).pipe(Effect.scoped))

  it.effect("without one, the tracer is Effect's own: no exporter, nothing sent", () =>
    Effect.gen(function*() {
      const own = yield* Effect.tracer
      const inside = yield* Effect.tracer.pipe(Effect.provide(Telemetry.layer({})))
      assert.strictEqual(inside, own)
      const configured = yield* Telemetry.configFromEnvironment.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OTEL_EXPORTER_OTLP_ENDPOINT", " "]])))
      )
      assert.isUndefined(configured.otlpEndpoint)
    }))

  it.effect("METRICS_PORT=0 turns /metrics off; an unset one is 8080; a bad one is refused", () =>
    Effect.gen(function*() {
      const read = (entries: ReadonlyArray<[string, string]>) =>
        Telemetry.configFromEnvironment.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries))))
      assert.isUndefined((yield* read([["METRICS_PORT", "0"]])).metricsPort)
      assert.strictEqual((yield* read([])).metricsPort, 8080)
      assert.strictEqual((yield* read([["METRICS_PORT", "9090"]])).metricsPort, 9090)
      const refused = yield* Effect.flip(read([["METRICS_PORT", "70000"]]))
      assert.include(String(refused), "METRICS_PORT must be a port number, or 0 for none")
    }))
})
