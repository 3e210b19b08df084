import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Metric, Option, Scope, TestClock } from "effect"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as QuayProbe from "../../src/runtime/QuayProbe.ts"
import * as Telemetry from "../../src/runtime/Telemetry.ts"

const scrape = (port: number) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`)
    return { status: response.status, type: response.headers.get("content-type") ?? "", body: await response.text() }
  })

const requests = Metric.counter("test_requests_total", { description: "Requests in a test", incremental: true })

describe("Prometheus metrics", () => {
  it.live("serves Effect's metrics in Prometheus' text format, with scrape-time gauges that leave with their scope", () =>
    Effect.gen(function*() {
      const telemetry = yield* Telemetry.Telemetry
      const port = Option.getOrThrow(telemetry.metricsPort)
      yield* Metric.increment(Metric.tagged(requests, "status", "200"))
      yield* Metric.increment(Metric.tagged(requests, "status", "200"))
      const gaugeScope = yield* Scope.make()
      yield* telemetry.observe({
        name: "test_objects_age_seconds",
        help: "Age of each object",
        observe: Effect.succeed([{ labels: { namespace: "ns", name: 'a"b' }, value: 42 }])
      }).pipe(Scope.extend(gaugeScope))

      const first = yield* scrape(port)
      assert.strictEqual(first.status, 200)
      assert.include(first.type, "text/plain")
      assert.match(first.body, /# HELP test_requests_total Requests in a test/)
      assert.match(first.body, /test_requests_total\{status="200"\} 2/)
      assert.include(first.body, '# TYPE test_objects_age_seconds gauge')
      assert.include(first.body, 'test_objects_age_seconds{namespace="ns",name="a\\"b"} 42')
      // The process's memory, under the Node.js client's names: a resident set and a heap in use, both non-zero.
      const memory = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(first.body)?.[1] ?? "0")
      assert.isAbove(memory("process_resident_memory_bytes"), 0)
      assert.isAbove(memory("nodejs_heap_size_used_bytes"), 0)
      assert.isAbove(memory("nodejs_heap_size_limit_bytes"), memory("nodejs_heap_size_used_bytes"))

      yield* Scope.close(gaugeScope, Exit.void)
      const second = yield* scrape(port)
      assert.notInclude(second.body, "test_objects_age_seconds")
      const missing = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/other`))
      assert.strictEqual(missing.status, 404)
    }).pipe(Effect.provide(Telemetry.layer({ metricsPort: 0, metricsHost: "127.0.0.1" }))))

  it.scoped("the Quay probe sets the original's availability gauge and reports trouble for /readyz", () =>
    Effect.gen(function*() {
      const control = yield* QuayInMemory.QuayControl
      const gauge = Effect.map(Metric.value(QuayProbe.quayAvailable), (g) => g.value)
      const probe = yield* QuayProbe.run({ interval: "1 minute" })
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* gauge, 1)
      assert.isTrue(Option.isNone(yield* probe.trouble))

      yield* control.injectFaults({ kind: "5xx", rate: 1 })
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* gauge, 0)
      const trouble = yield* probe.trouble
      assert.isTrue(Option.isSome(trouble) && trouble.value.startsWith("Quay: "))

      yield* control.clearFaults
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* gauge, 1)
      assert.isTrue(Option.isNone(yield* probe.trouble))
    }).pipe(Effect.provide(QuayInMemory.layer({ organization: "my-org" }))))
})
