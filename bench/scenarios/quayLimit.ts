/**
 * Scenario 3: quay.io's limit. 300 ImageRepositories at once against the simulator with quay.io's nginx limit on
 * (5 requests/s per client IP, burst 25, 429 without Retry-After): the time against its bound (the requests made,
 * less the burst nginx lets through at once, at 5/s), the 429s received and the objects that failed; the original
 * controller under the same limit. A second row speaks HTTP/2 to the simulator over TLS (QUAY_HTTP2=on), where
 * nginx keys its limit on the connection at 50 requests/s with a burst of 100 (Quay's own templates): does the
 * protocol change the bound? Each row carries a request trace from the simulator's timeline.
 */
import { Duration, Effect, Option } from "effect"
import { quayIoHttp2Limit, quayIoLimit } from "../../src/layers/quayHttp/defaultLimits.ts"
import * as Figure from "../Figure.ts"
import * as AtOnce from "../harness/AtOnce.ts"
import * as Cluster from "../harness/Cluster.ts"
import type * as ControllerProcess from "../harness/ControllerProcess.ts"
import * as RequestTrace from "../harness/RequestTrace.ts"
import * as SideBySide from "../harness/SideBySide.ts"
import * as Stage from "../harness/Stage.ts"
import { type Scenario, scaled } from "../Scenario.ts"
import { readyOverTime } from "../Stats.ts"

const http1 = { rate: 5, burst: 25 }
/** Quay's nginx over HTTP/2: per connection. The simulator's default for a 5/s, burst-25 limit. */
const http2 = { rate: 50, burst: 100 }
const latencyMs = 20

type Protocol = "HTTP/1.1" | "HTTP/2"

interface Run {
  readonly result: AtOnce.AtOnce
  readonly trace: RequestTrace.RequestTrace
}

/** Requests nginx lets pass in `seconds` from a full bucket: burst + 1 at once, then `rate` per second. */
const boundSeconds = (requests: number, limit: { readonly rate: number; readonly burst: number }) =>
  Math.max(0, requests - (limit.burst + 1)) / limit.rate

const measure = (count: number, deadline: Duration.Duration, protocol: Protocol) =>
  (cluster: Cluster.Cluster, which: ControllerProcess.Which) =>
    Effect.gen(function*() {
      const limit = protocol === "HTTP/2" ? http2 : http1
      const stage = yield* Stage.make(cluster, {
        which,
        latencyMs,
        rateLimit: http1,
        tls: protocol === "HTTP/2",
        recordTimeline: true
      })
      const controller = yield* AtOnce.launchWarm(stage)
      // The warm-up spent tokens: start the burst from a full bucket, as a quiet controller would.
      yield* Effect.sleep(Duration.seconds((limit.burst + 1) / limit.rate + 1))
      const result = yield* AtOnce.provision(stage, controller, count, deadline)
      return { result, trace: RequestTrace.analyse(stage.sim.timeline.since(result.started), result.started, limit) } satisfies Run
    })

export const quayLimit: Scenario = {
  name: "quay-limit",
  title: "300 at once under quay.io's nginx limit (5 req/s per IP, burst 25; over HTTP/2 50 req/s per connection)",
  run: (context) =>
    Effect.gen(function*() {
      const count = scaled(context, 300)
      // The original makes ~8 requests per object: 300 objects need ~8 minutes at 5/s even without a 429.
      const deadline = Duration.seconds(Math.max(120, (count * 12) / http1.rate))
      // The simulator is on 127.0.0.1, so this operator is given the limit it defaults to for quay.io.
      const explored = SideBySide.oursFromEnvironment()
      const ours = {
        ...explored,
        requestsPerSecond: explored.requestsPerSecond ?? quayIoLimit.requestsPerSecond,
        burst: explored.burst ?? quayIoLimit.burst
      }
      const pair = yield* SideBySide.run(context, ours, measure(count, deadline, "HTTP/1.1"))
      context.progress("  this operator over HTTP/2")
      const oursHttp2 = {
        ...explored,
        requestsPerSecond: explored.requestsPerSecond ?? quayIoHttp2Limit.requestsPerSecond,
        burst: explored.burst ?? quayIoHttp2Limit.burst,
        environment: { QUAY_HTTP2: "on" }
      }
      const cluster = yield* Cluster.up(context)
      const overHttp2 = yield* Effect.scoped(measure(count, deadline, "HTTP/2")(cluster, { _tag: "Ours", settings: oursHttp2 }))
      const theirs = Option.getOrUndefined(pair.original)
      // A controller whose objects failed was not faster: its time counts only when every object became ready.
      const theirTime = theirs !== undefined && theirs.result.failed + theirs.result.pending === 0 ? theirs.result.seconds : undefined
      // The bound counts the requests that passed: a 429 is not work done, and it is the client's choice to make it.
      const bound = (run: Run, limit: { readonly rate: number; readonly burst: number }) =>
        boundSeconds(run.result.quayRequests - run.result.tooManyRequests, limit)
      const ourRun = pair.ours
      return {
        settings: {
          objects: count,
          nginxRate: http1.rate,
          nginxBurst: http1.burst,
          nginxHttp2RatePerConnection: http2.rate,
          nginxHttp2Burst: http2.burst,
          quayLatencyMs: latencyMs,
          deadlineSeconds: Duration.toSeconds(deadline)
        },
        figures: [
          Figure.make({
            label: "time until all ready",
            value: ourRun.result.seconds,
            unit: "s",
            limit: bound(ourRun, http1),
            original: theirTime,
            target: Figure.ratioToLimitAtMost(1.1)
          }),
          Figure.make({
            label: "time until all ready (against the original)",
            value: ourRun.result.seconds,
            unit: "s",
            original: theirTime,
            target: Figure.ratioToOriginalAtMost(0.4)
          }),
          Figure.make({ label: "Quay requests per object (429s included)", value: ourRun.result.quayRequests / count, unit: "requests", original: theirs === undefined ? undefined : theirs.result.quayRequests / count }),
          Figure.make({ label: "429 answers received", value: ourRun.result.tooManyRequests, unit: "answers", original: theirs?.result.tooManyRequests, target: Figure.atMost(0) }),
          Figure.make({ label: "objects failed", value: ourRun.result.failed, unit: "objects", original: theirs?.result.failed, target: Figure.atMost(0) }),
          Figure.make({ label: "objects not ready by the deadline", value: ourRun.result.pending, unit: "objects", original: theirs?.result.pending, target: Figure.atMost(0) }),
          Figure.make({ label: "over HTTP/2: time until all ready", value: overHttp2.result.seconds, unit: "s", limit: bound(overHttp2, http2) }),
          Figure.make({ label: "over HTTP/2: 429 answers received", value: overHttp2.result.tooManyRequests, unit: "answers", target: Figure.atMost(0) }),
          Figure.make({ label: "over HTTP/2: objects failed or not ready", value: overHttp2.result.failed + overHttp2.result.pending, unit: "objects", target: Figure.atMost(0) })
        ],
        notes: [
          ...pair.notes,
          `limit = (Quay requests that passed − the burst + 1 nginx lets through at once) ÷ its rate, for each controller's own requests: ${http1.burst + 1} and ${http1.rate}/s per client address over HTTP/1.1, ${http2.burst + 1} and ${http2.rate}/s per connection over HTTP/2; the original's is ${theirs === undefined ? "not measured" : `${bound(theirs, http1).toFixed(0)} s`}`,
          `request trace, this operator over HTTP/1.1: ${RequestTrace.describe(ourRun.trace, ourRun.result, http1)}`,
          `request trace, this operator over HTTP/2 (QUAY_HTTP2=on, one connection; its client limit ${quayIoHttp2Limit.requestsPerSecond}/s, burst ${quayIoHttp2Limit.burst}): ${RequestTrace.describe(overHttp2.trace, overHttp2.result, http2)}`,
          ...(theirs === undefined ? [] : [`request trace, the original: ${RequestTrace.describe(theirs.trace, theirs.result, http1)}`]),
          `a controller that has not finished within ${Duration.format(deadline)} is stopped: its time is then the deadline and its unfinished objects are counted`
        ],
        charts: [
          {
            file: "quay-limit",
            title: `${count} at once under quay.io's limit (${http1.rate} req/s, burst ${http1.burst}): ready over time`,
            xLabel: "seconds since the first create",
            yLabel: "objects ready",
            series: [
              { name: "this operator", points: readyOverTime(ourRun.result.readyAt, ourRun.result.started) },
              { name: "this operator over HTTP/2", points: readyOverTime(overHttp2.result.readyAt, overHttp2.result.started) },
              ...(theirs === undefined ? [] : [{ name: "original", points: readyOverTime(theirs.result.readyAt, theirs.result.started) }])
            ]
          },
          {
            file: "quay-limit-requests",
            title: `${count} at once under quay.io's limit: Quay requests arrived over time (the request trace)`,
            xLabel: "seconds since the first create",
            yLabel: "requests arrived",
            series: [
              { name: "this operator", points: ourRun.trace.cumulative },
              { name: "this operator over HTTP/2", points: overHttp2.trace.cumulative },
              ...(theirs === undefined ? [] : [{ name: "original", points: theirs.trace.cumulative }])
            ]
          }
        ]
      }
    })
}
