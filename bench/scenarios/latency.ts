/**
 * Scenario 1: latency. ImageRepositories created one at a time (each waits for the previous one to be ready), Quay
 * answering after 100 ms: create → ready p50/p95/max, and Quay requests and apiserver writes per object, for
 * general-purpose and component repositories. Limit: two Quay round trips plus the object's writes, each at the
 * apiserver's measured write time.
 */
import { Duration, Effect, Option } from "effect"
import * as Figure from "../Figure.ts"
import * as Cluster from "../harness/Cluster.ts"
import * as ControllerProcess from "../harness/ControllerProcess.ts"
import * as SideBySide from "../harness/SideBySide.ts"
import * as Stage from "../harness/Stage.ts"
import type { Chart, Figure as FigureType, Scenario } from "../Scenario.ts"
import { scaled } from "../Scenario.ts"
import { cumulative, percentile } from "../Stats.ts"

const latencyMs = 100
type Flavour = "general-purpose" | "component"
const flavours: ReadonlyArray<Flavour> = ["general-purpose", "component"]

interface Measured {
  readonly latencies: ReadonlyArray<number>
  readonly quayPerObject: number
  readonly writesPerObject: number
  readonly writeMs: number
}

const componentOf = (name: string) => ({ component: name, application: "bench-app" })

/** One flavour on one controller: a warm-up object, then `count` objects one at a time. */
const measureFlavour = (cluster: Cluster.Cluster, which: ControllerProcess.Which, flavour: Flavour, count: number) =>
  Effect.gen(function*() {
    const stage = yield* Stage.make(cluster, { which, latencyMs })
    const names = Array.from({ length: count + 1 }, (_, i) => (i === 0 ? "warm-up" : `repo-${i}`))
    const labelsOf = (name: string) => (flavour === "component" ? Stage.componentLabels(componentOf(name)) : undefined)
    if (flavour === "component") yield* Stage.setUpComponents(stage, names.map(componentOf))
    const controller = yield* Stage.launch(stage)
    const ready = (name: string) =>
      ControllerProcess.awaitCondition(controller, Effect.sync(() => stage.tracker.readyAt.has(name)), `${name} ready`, "2 minutes", "2 millis")
    // The first object also waits for the controller's start (informers, caches): not part of the latency.
    yield* Stage.createImageRepositories(stage, [{ name: "warm-up", labels: labelsOf("warm-up") }])
    yield* ready("warm-up")
    const writeMs = yield* Stage.writeRoundTripMs(stage)
    yield* Effect.sleep("1 second")
    const quayBefore = Stage.quayCounts(stage).total
    const writesBefore = yield* Cluster.apiserverWrites(cluster)
    const latencies: Array<number> = []
    for (const name of names.slice(1)) {
      const createdAt = yield* Stage.createImageRepositories(stage, [{ name, labels: labelsOf(name) }])
      yield* ready(name)
      latencies.push((stage.tracker.readyAt.get(name) ?? 0) - (createdAt.get(name) ?? 0))
    }
    // Writes that trail the last ready status (Events, a last status update) belong to the objects too.
    yield* Effect.sleep("2 seconds")
    const quay = Stage.quayCounts(stage).total - quayBefore
    const writes = (yield* Cluster.apiserverWrites(cluster)) - writesBefore - count
    return { latencies, quayPerObject: quay / count, writesPerObject: writes / count, writeMs } satisfies Measured
  })

const figures = (flavour: Flavour, ours: Measured, original: Option.Option<Measured>): ReadonlyArray<FigureType> => {
  const limit = 2 * latencyMs + ours.writesPerObject * ours.writeMs
  const theirs = Option.getOrUndefined(original)
  const p = (label: string, pct: number, target?: boolean) =>
    Figure.make({
      label: `${flavour}: create → ready ${label}`,
      value: percentile(ours.latencies, pct),
      unit: "ms",
      limit,
      original: theirs === undefined ? undefined : percentile(theirs.latencies, pct),
      target: target === true ? Figure.ratioToLimitAtMost(1.3) : undefined
    })
  return [
    p("p50", 50, true),
    p("p95", 95),
    p("max", 100),
    Figure.make({ label: `${flavour}: Quay requests per object`, value: ours.quayPerObject, unit: "requests", original: theirs?.quayPerObject }),
    Figure.make({ label: `${flavour}: apiserver writes per object`, value: ours.writesPerObject, unit: "writes", original: theirs?.writesPerObject })
  ]
}

export const latency: Scenario = {
  name: "latency",
  title: "create → ready, one object at a time, Quay at 100 ms",
  run: (context) =>
    Effect.gen(function*() {
      const count = scaled(context, 50)
      const pair = yield* SideBySide.run(context, SideBySide.oursFromEnvironment(), (cluster, which) =>
        Effect.forEach(flavours, (flavour) => Effect.scoped(measureFlavour(cluster, which, flavour, count))))
      const [oursGeneral, oursComponent] = pair.ours
      if (oursGeneral === undefined || oursComponent === undefined) return yield* Effect.dieMessage("a flavour did not run")
      const theirs = (i: number) => Option.flatMap(pair.original, (measured) => Option.fromNullable(measured[i]))
      const series = (name: string, measured: ReadonlyArray<Measured>) =>
        flavours.map((flavour, i) => ({ name: `${name}, ${flavour}`, points: cumulative(measured[i]?.latencies ?? []) }))
      const chart: Chart = {
        file: "latency",
        title: `create → ready, one at a time, Quay at ${latencyMs} ms (cumulative)`,
        xLabel: "create → ready (ms)",
        yLabel: "fraction of objects",
        series: [...series("this operator", pair.ours), ...Option.match(pair.original, { onNone: () => [], onSome: (m) => series("original", m) })]
      }
      return {
        settings: { objectsPerFlavour: count, quayLatencyMs: latencyMs, writeRoundTripMs: Math.round(oursGeneral.writeMs * 10) / 10 },
        figures: [...figures("general-purpose", oursGeneral, theirs(0)), ...figures("component", oursComponent, theirs(1))],
        notes: [
          ...pair.notes,
          `limit = 2 Quay round trips (2 × ${latencyMs} ms) + this operator's apiserver writes per object × one write's measured time`,
          "apiserver writes are counted from the apiserver's apiserver_request_total (POST/PUT/PATCH/DELETE on the controllers' kinds, the bench's own creates subtracted); the original's Quay requests include its once-a-minute availability probe"
        ],
        charts: [chart]
      }
    }).pipe(Effect.timeout(Duration.minutes(30)), Effect.catchTag("TimeoutException", () => Effect.dieMessage("latency: over 30 minutes")))
}
