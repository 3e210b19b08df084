/**
 * `npm run bench`: the whole operator (controller runtime, reconcile programs, the live Quay layer over HTTP)
 * provisions, rotates and deletes N ImageRepositories against the Quay simulator on 127.0.0.1 and the in-memory
 * apiserver, and prints what it cost: time, Quay requests and apiserver writes per object, and leftovers.
 *
 *   npm run bench -- [--objects 200] [--latency-ms 20] [--rate 50] [--workers 8]
 */
import { parseArgs } from "node:util"
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import * as KubernetesInMemory from "../layers/KubernetesInMemory.ts"
import * as QuayHttp from "../layers/QuayHttp.ts"
import { reconcileImageRepository } from "../programs/reconcileImageRepository.ts"
import * as Manager from "../runtime/Manager.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import * as Kinds from "../services/ResourceKind.ts"
import * as QuaySimulator from "../simulator/QuaySimulator.ts"
import * as Controllers from "./controllers.ts"

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "200" },
    "latency-ms": { type: "string", default: "20" },
    rate: { type: "string", default: "50" },
    workers: { type: "string", default: "8" }
  }
})
const count = Number(values.objects)
const latencyMs = Number(values["latency-ms"])
const rate = Number(values.rate)
const workers = Number(values.workers)
if (![count, latencyMs, rate, workers].every((n) => Number.isFinite(n) && n >= 0) || count < 1 || workers < 1) {
  process.stderr.write("bench: --objects, --workers (>= 1), --latency-ms and --rate (>= 0) take numbers\n")
  process.exit(2)
}

const namespace = "bench"
const organization = "bench-org"
const token = "bench-token"
const names = Array.from({ length: count }, (_, i) => `repo-${String(i).padStart(4, "0")}`)

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

const ms = (n: number) => `${n.toFixed(0)} ms`

/** Polls until `done` holds for every object, noting when each one first did. */
const waitAll = <R>(check: (name: string) => Effect.Effect<boolean, never, R>, started: number) =>
  Effect.gen(function*() {
    const at = new Map<string, number>()
    while (at.size < names.length) {
      for (const name of names) {
        if (!at.has(name) && (yield* check(name))) at.set(name, performance.now() - started)
      }
      if (at.size < names.length) yield* Effect.sleep(Duration.millis(5))
    }
    return [...at.values()].sort((a, b) => a - b)
  })

const program = Effect.gen(function*() {
  const sim = yield* QuaySimulator.start({ organization, token, plan: "paid", latencyMs })
  const { kubernetes, control } = yield* KubernetesInMemory.make()
  // Built into this scope: the controller runs in forked fibers that outlive any `Effect.provide` around `run`.
  const quay = yield* Layer.build(
    QuayHttp.layer({
      apiUrl: sim.apiUrl,
      organization,
      token: Redacted.make(token),
      requestsPerSecond: rate,
      burst: rate,
      maxConcurrentRequests: workers
    })
  )
  const get = (name: string) =>
    kubernetes.get(Kinds.ImageRepository, { namespace, name }).pipe(Effect.map(Option.getOrUndefined), Effect.orDie)

  yield* Manager.run({ controllers: [Controllers.imageRepositories({ workers }), Controllers.components({ workers })] }).pipe(
    Effect.provideService(Kubernetes, kubernetes),
    Effect.provide(quay)
  )

  const rows: Array<[string, string]> = []
  const phase = (label: string, requests: number, writes: number, latencies: ReadonlyArray<number>, total: number) => {
    rows.push([
      label,
      `${ms(total)} total, p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}; ` +
      `${(requests / count).toFixed(2)} Quay requests and ${(writes / count).toFixed(2)} apiserver writes per object`
    ])
  }
  const measure = <A, E, R>(label: string, act: Effect.Effect<A, E, R>, done: (name: string) => Effect.Effect<boolean>) =>
    Effect.gen(function*() {
      sim.model.resetRequestCounts()
      yield* control.resetCalls
      const started = performance.now()
      yield* act
      const latencies = yield* waitAll(done, started)
      const total = performance.now() - started
      phase(label, sim.model.requestCounts().total, (yield* control.calls).writes, latencies, total)
    })

  yield* measure(
    "provision",
    Effect.forEach(names, (name) =>
      control.put(Kinds.ImageRepository, {
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "ImageRepository",
        metadata: { name, namespace }
      }), { discard: true }),
    (name) => Effect.map(get(name), (ir) => ir?.status?.state === "ready")
  )

  // A converged object costs nothing: reconcile every one once more and count.
  sim.model.resetRequestCounts()
  yield* control.resetCalls
  yield* Effect.forEach(names, (name) => reconcileImageRepository({ namespace, name }), { discard: true }).pipe(
    Effect.provideService(Kubernetes, kubernetes),
    Effect.provide(quay),
    Effect.orDie
  )
  rows.push([
    "converged pass",
    `${sim.model.requestCounts().total} Quay requests, ${(yield* control.calls).writes} apiserver writes for ${count} objects`
  ])

  yield* measure(
    "regenerate-token",
    Effect.forEach(names, (name) =>
      control.patch(Kinds.ImageRepository, { namespace, name }, { spec: { credentials: { "regenerate-token": true } } }), {
      discard: true
    }),
    (name) => Effect.map(get(name), (ir) => ir?.spec?.credentials?.["regenerate-token"] === undefined)
  )

  yield* measure(
    "delete",
    Effect.forEach(names, (name) => control.delete(Kinds.ImageRepository, { namespace, name }), { discard: true }),
    (name) => Effect.map(get(name), (ir) => ir === undefined)
  )
  const left = sim.model.snapshot()
  rows.push(["left in Quay after delete", `${left.repositories.length} repositories, ${left.robots.length} robots`])

  const width = Math.max(...rows.map(([label]) => label.length))
  process.stdout.write(
    `image-repository-operator bench: ${count} ImageRepositories, ${workers} workers, Quay simulator over HTTP ` +
      `(${latencyMs} ms latency), client limit ${rate} req/s\n`
  )
  for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`)
})

program.pipe(
  Effect.scoped,
  Logger.withMinimumLogLevel(LogLevel.Warning),
  NodeRuntime.runMain
)
