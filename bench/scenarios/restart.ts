/**
 * Scenario 4: restart. 2,000 ready ImageRepositories, the controller stopped and started again: the Quay requests
 * and apiserver writes the new process makes, its time until idle, and its CPU seconds to get there.
 */
import { Duration, Effect, Option } from "effect"
import * as Figure from "../Figure.ts"
import * as AtOnce from "../harness/AtOnce.ts"
import * as Cluster from "../harness/Cluster.ts"
import type * as ControllerProcess from "../harness/ControllerProcess.ts"
import * as SideBySide from "../harness/SideBySide.ts"
import * as Stage from "../harness/Stage.ts"
import { type BenchContext, type Scenario, scaled } from "../Scenario.ts"

const latencyMs = 20
/** Idle: less than one clock tick (10 ms) of CPU over this window. */
const idleWindow = Duration.seconds(2)

interface Restart {
  readonly objects: number
  readonly quayRequests: number
  readonly writes: number
  readonly secondsUntilIdle: number
  readonly cpuSeconds: number
  /** The restarted process's Quay requests by endpoint and status, to tell start-up probes from object work. */
  readonly quayByEndpoint: string
}

const endpointText = (before: Readonly<Record<string, Readonly<Record<string, number>>>>, after: Readonly<Record<string, Readonly<Record<string, number>>>>) =>
  Object.entries(after).flatMap(([endpoint, statuses]) =>
    Object.entries(statuses).flatMap(([status, n]) => {
      const delta = n - (before[endpoint]?.[status] ?? 0)
      return delta > 0 ? [`${endpoint} ${status}: ${delta}`] : []
    })
  ).join(", ") || "none"

/** Samples CPU every 100 ms; idle once a whole window passes without a tick. The time of the last busy sample. */
const untilIdle = (controller: ControllerProcess.ControllerProcess, started: number) =>
  Effect.gen(function*() {
    let lastCpu = yield* controller.cpuSeconds
    let lastBusy = performance.now()
    while (performance.now() - lastBusy < Duration.toMillis(idleWindow)) {
      yield* Effect.sleep("100 millis")
      const cpu = yield* controller.cpuSeconds
      if (cpu > lastCpu) lastBusy = performance.now()
      lastCpu = cpu
      if (performance.now() - started > 300_000) break
    }
    return { seconds: (lastBusy - started) / 1000, cpuSeconds: lastCpu }
  })

const measure = (context: BenchContext, count: (which: ControllerProcess.Which) => number) =>
  (cluster: Cluster.Cluster, which: ControllerProcess.Which) =>
    Effect.gen(function*() {
      const objects = count(which)
      const stage = yield* Stage.make(cluster, { which, latencyMs })
      yield* Effect.scoped(Effect.gen(function*() {
        const first = yield* AtOnce.launchWarm(stage)
        const provisioned = yield* AtOnce.provision(stage, first, objects, "30 minutes")
        context.progress(`    ${provisioned.ready} ready in ${provisioned.seconds.toFixed(1)} s; restarting`)
      }))
      const quayBefore = Stage.quayCounts(stage).total
      const byEndpointBefore = stage.sim.model.requestCounts().byEndpoint
      const writesBefore = yield* Cluster.apiserverWrites(cluster)
      const started = performance.now()
      const second = yield* Stage.launch(stage)
      const idle = yield* untilIdle(second, started)
      yield* Effect.sleep("1 second")
      return {
        objects: objects + 1,
        quayRequests: Stage.quayCounts(stage).total - quayBefore,
        writes: (yield* Cluster.apiserverWrites(cluster)) - writesBefore,
        secondsUntilIdle: idle.seconds,
        cpuSeconds: idle.cpuSeconds,
        quayByEndpoint: endpointText(byEndpointBefore, stage.sim.model.requestCounts().byEndpoint)
      } satisfies Restart
    })

export const restart: Scenario = {
  name: "restart",
  title: "restart with 2,000 ready objects",
  run: (context) =>
    Effect.gen(function*() {
      const count = scaled(context, 2_000)
      // The original provisions ~3 objects/s: 2,000 would take ten minutes before the restart even starts.
      const originalCount = Math.min(count, scaled(context, 200))
      const pair = yield* SideBySide.run(
        context,
        { ...SideBySide.oursFromEnvironment() },
        measure(context, (which) => (which._tag === "Ours" ? count : originalCount))
      )
      const theirs = Option.getOrUndefined(pair.original)
      const per = (m: Restart | undefined, of: (m: Restart) => number) => (m === undefined ? undefined : of(m) / m.objects)
      return {
        settings: { objects: count, originalObjects: originalCount, quayLatencyMs: latencyMs },
        figures: [
          Figure.make({ label: "Quay requests after the restart", value: pair.ours.quayRequests, unit: "requests", target: Figure.atMost(0) }),
          Figure.make({ label: "apiserver writes after the restart", value: pair.ours.writes, unit: "writes", target: Figure.atMost(0) }),
          Figure.make({ label: "Quay requests per ready object", value: pair.ours.quayRequests / pair.ours.objects, unit: "requests", original: per(theirs, (m) => m.quayRequests) }),
          Figure.make({ label: "apiserver writes per ready object", value: pair.ours.writes / pair.ours.objects, unit: "writes", original: per(theirs, (m) => m.writes) }),
          Figure.make({ label: "time from start until idle", value: pair.ours.secondsUntilIdle, unit: "s" }),
          Figure.make({ label: "CPU seconds until idle", value: pair.ours.cpuSeconds, unit: "s" }),
          Figure.make({ label: "CPU per ready object", value: (pair.ours.cpuSeconds / pair.ours.objects) * 1000, unit: "ms", original: theirs === undefined ? undefined : (theirs.cpuSeconds / theirs.objects) * 1000 })
        ],
        notes: [
          ...pair.notes,
          `the original restarts with ${originalCount + 1} ready objects (it provisions a few per second), so it is compared per object; its time until idle was ${theirs === undefined ? "not measured" : `${theirs.secondsUntilIdle.toFixed(1)} s with ${theirs.cpuSeconds.toFixed(2)} CPU s`}`,
          `idle = no CPU tick for ${Duration.format(idleWindow)}; the counts include the warm-up object`,
          `this operator's Quay requests after the restart, by endpoint: ${pair.ours.quayByEndpoint}` +
          (theirs === undefined ? "" : `; the original's: ${theirs.quayByEndpoint}`)
        ]
      }
    })
}
