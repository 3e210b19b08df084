/**
 * The process's own memory on `/metrics`, under the names Prometheus' Node.js client uses, so the pod's memory can be
 * compared with its limit (and the Go controller's `process_resident_memory_bytes`) without a profiler.
 */
import { getHeapStatistics } from "node:v8"
import { Effect } from "effect"
import type { ObservedGauge } from "./PrometheusMetrics.ts"

const gauge = (name: string, help: string, read: () => number): ObservedGauge => ({
  name,
  help,
  observe: Effect.sync(() => [{ labels: {}, value: read() }])
})

/** Read at scrape time: resident set, V8 heap in use and reserved, its limit, and memory held outside the heap. */
export const processMemoryGauges: ReadonlyArray<ObservedGauge> = [
  gauge("process_resident_memory_bytes", "Resident memory size in bytes", () => process.memoryUsage.rss()),
  gauge("nodejs_heap_size_used_bytes", "V8 heap in use in bytes", () => process.memoryUsage().heapUsed),
  gauge("nodejs_heap_size_total_bytes", "V8 heap reserved in bytes", () => process.memoryUsage().heapTotal),
  gauge("nodejs_heap_size_limit_bytes", "V8 heap size limit in bytes (--max-old-space-size and the young generation)", () =>
    getHeapStatistics().heap_size_limit),
  gauge("nodejs_external_memory_bytes", "Memory held by JavaScript objects outside the V8 heap in bytes", () =>
    process.memoryUsage().external)
]
