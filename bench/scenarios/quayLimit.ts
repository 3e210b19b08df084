/**
 * Scenario 3: quay.io's limit. 300 ImageRepositories at once against the simulator with quay.io's nginx limit on
 * (5 requests/s per client IP, burst 25, 429 without Retry-After): the time against its bound (the requests made,
 * less the burst nginx lets through at once, at 5/s), the 429s received and the objects that failed; the original
 * controller under the same limit.
 */
import { Duration, Effect, Option } from "effect"
import { quayIoLimit } from "../../src/layers/quayHttp/defaultLimits.ts"
import * as Figure from "../Figure.ts"
import * as AtOnce from "../harness/AtOnce.ts"
import * as SideBySide from "../harness/SideBySide.ts"
import * as Stage from "../harness/Stage.ts"
import { type Scenario, scaled } from "../Scenario.ts"
import { readyOverTime } from "../Stats.ts"

const rate = 5
const burst = 25
const latencyMs = 20

/** Requests nginx lets pass in `seconds` from a full bucket: burst + 1 at once, then `rate` per second. */
const boundSeconds = (requests: number) => Math.max(0, requests - (burst + 1)) / rate

export const quayLimit: Scenario = {
  name: "quay-limit",
  title: "300 at once under quay.io's nginx limit (5 req/s per IP, burst 25)",
  run: (context) =>
    Effect.gen(function*() {
      const count = scaled(context, 300)
      // The original makes ~8 requests per object: 300 objects need ~8 minutes at 5/s even without a 429.
      const deadline = Duration.seconds(Math.max(120, (count * 12) / rate))
      // The simulator is on 127.0.0.1, so this operator is given the limit it defaults to for quay.io.
      const explored = SideBySide.oursFromEnvironment()
      const ours = {
        ...explored,
        requestsPerSecond: explored.requestsPerSecond ?? quayIoLimit.requestsPerSecond,
        burst: explored.burst ?? quayIoLimit.burst
      }
      const pair = yield* SideBySide.run(context, ours, (cluster, which) =>
        Effect.gen(function*() {
          const stage = yield* Stage.make(cluster, { which, latencyMs, rateLimit: { rate, burst } })
          const controller = yield* AtOnce.launchWarm(stage)
          // The warm-up spent tokens: start the burst from a full bucket, as a quiet controller would.
          yield* Effect.sleep(Duration.seconds((burst + 1) / rate + 1))
          return yield* AtOnce.provision(stage, controller, count, deadline)
        }))
      const theirs = Option.getOrUndefined(pair.original)
      // A controller whose objects failed was not faster: its time counts only when every object became ready.
      const theirTime = theirs !== undefined && theirs.failed + theirs.pending === 0 ? theirs.seconds : undefined
      // The bound counts the requests that passed: a 429 is not work done, and it is the client's choice to make it.
      const bound = (m: AtOnce.AtOnce) => boundSeconds(m.quayRequests - m.tooManyRequests)
      return {
        settings: { objects: count, nginxRate: rate, nginxBurst: burst, quayLatencyMs: latencyMs, deadlineSeconds: Duration.toSeconds(deadline) },
        figures: [
          Figure.make({
            label: "time until all ready",
            value: pair.ours.seconds,
            unit: "s",
            limit: bound(pair.ours),
            original: theirTime,
            target: Figure.ratioToLimitAtMost(1.1)
          }),
          Figure.make({
            label: "time until all ready (against the original)",
            value: pair.ours.seconds,
            unit: "s",
            original: theirTime,
            target: Figure.ratioToOriginalAtMost(0.4)
          }),
          Figure.make({ label: "Quay requests per object (429s included)", value: pair.ours.quayRequests / count, unit: "requests", original: theirs === undefined ? undefined : theirs.quayRequests / count }),
          Figure.make({ label: "429 answers received", value: pair.ours.tooManyRequests, unit: "answers", original: theirs?.tooManyRequests, target: Figure.atMost(0) }),
          Figure.make({ label: "objects failed", value: pair.ours.failed, unit: "objects", original: theirs?.failed, target: Figure.atMost(0) }),
          Figure.make({ label: "objects not ready by the deadline", value: pair.ours.pending, unit: "objects", original: theirs?.pending, target: Figure.atMost(0) })
        ],
        notes: [
          ...pair.notes,
          `limit = (Quay requests that passed − the ${burst + 1} nginx lets through at once) ÷ ${rate}/s, for each controller's own requests; the original's is ${theirs === undefined ? "not measured" : `${bound(theirs).toFixed(0)} s`}`,
          `a controller that has not finished within ${Duration.format(deadline)} is stopped: its time is then the deadline and its unfinished objects are counted`
        ],
        charts: [{
          file: "quay-limit",
          title: `${count} at once under quay.io's limit (${rate} req/s, burst ${burst}): ready over time`,
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
