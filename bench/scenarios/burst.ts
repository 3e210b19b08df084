/**
 * Scenario 2: burst. 1,000 ImageRepositories created at once, Quay at 20 ms with no rate limit: time until all
 * are ready, objects per second, and the ready-over-time curve of both controllers.
 */
import { Effect, Option } from "effect"
import { defaultWorkers } from "../../src/runtime/Controller.ts"
import * as Figure from "../Figure.ts"
import * as AtOnce from "../harness/AtOnce.ts"
import * as BurstBound from "../harness/BurstBound.ts"
import * as SideBySide from "../harness/SideBySide.ts"
import * as Stage from "../harness/Stage.ts"
import { type Scenario, scaled } from "../Scenario.ts"
import { readyOverTime } from "../Stats.ts"

const latencyMs = 20

export const burst: Scenario = {
  name: "burst",
  title: "1,000 at once, Quay at 20 ms, no rate limit",
  run: (context) =>
    Effect.gen(function*() {
      const count = scaled(context, 1_000)
      const settings = SideBySide.oursFromEnvironment()
      const pair = yield* SideBySide.run(context, settings, (cluster, which) =>
        Effect.gen(function*() {
          const stage = yield* Stage.make(cluster, { which, latencyMs })
          const controller = yield* AtOnce.launchWarm(stage)
          return yield* AtOnce.provision(stage, controller, count, "20 minutes")
        }))
      const theirs = Option.getOrUndefined(pair.original)
      const rate = (m: AtOnce.AtOnce) => m.ready / m.seconds
      const bound = BurstBound.of(pair.ours, count, settings.workers ?? defaultWorkers, theirs)
      return {
        settings: { objects: count, quayLatencyMs: latencyMs, quayRateLimit: "none" },
        figures: [
          Figure.make({ label: "time until all ready", value: pair.ours.seconds, unit: "s", original: theirs?.seconds }),
          Figure.make({
            label: "objects ready per second",
            value: rate(pair.ours),
            unit: "objects/s",
            original: theirs === undefined ? undefined : rate(theirs),
            target: Figure.atLeast(100)
          }),
          Figure.make({ label: "Quay requests per object", value: pair.ours.quayRequests / count, unit: "requests", original: theirs === undefined ? undefined : theirs.quayRequests / count }),
          Figure.make({ label: "apiserver writes per object", value: pair.ours.writes / count, unit: "writes", original: theirs === undefined ? undefined : theirs.writes / count }),
          Figure.make({ label: "controller CPU per object", value: (pair.ours.cpuSeconds / count) * 1000, unit: "ms", original: theirs === undefined ? undefined : (theirs.cpuSeconds / count) * 1000 }),
          Figure.make({ label: "objects not ready (failed or pending)", value: pair.ours.failed + pair.ours.pending, unit: "objects", original: theirs === undefined ? undefined : theirs.failed + theirs.pending, target: Figure.atMost(0) }),
          ...bound.figures
        ],
        notes: [
          ...pair.notes,
          "no physical limit is set for the burst: its bound is the machine (two shared cores), which the CPU figures show",
          ...bound.notes
        ],
        charts: [{
          file: "burst",
          title: `${count} ImageRepositories at once, Quay at ${latencyMs} ms: ready over time`,
          xLabel: "seconds since the first create",
          yLabel: "objects ready",
          series: [
            { name: "this operator", points: readyOverTime(pair.ours.readyAt, pair.ours.started) },
            ...(theirs === undefined ? [] : [{ name: "original", points: readyOverTime(theirs.readyAt, theirs.started) }])
          ]
        }]
      }
    })
}
