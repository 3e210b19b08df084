/** QuayHttp with quay.io's default limits against the simulator's nginx rate limit. */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { quayIoLimit } from "../../src/layers/quayHttp/defaultLimits.ts"
import { operatorToken, org } from "./scriptedQuayServer.ts"

describe("QuayHttp against the simulator's nginx rate limit", () => {
  it.scopedLive("with quay.io's default limits, a burst of calls never draws a 429 from quay.io's nginx (5 r/s, burst 25)", () =>
    Effect.gen(function*() {
      const simulator = yield* QuaySimulator.start({ organization: org, token: operatorToken, rateLimit: 5, rateLimitBurst: 25 })
      // The limits the client defaults to for quay.io (the simulator is on 127.0.0.1), and no retries: a 429 would
      // surface as a failure instead of being hidden by a retry.
      const quay = yield* Layer.build(
        QuayHttp.layer({ apiUrl: simulator.apiUrl, organization: org, token: Redacted.make(operatorToken), ...quayIoLimit }, {
          retryPolicy: Schedule.stop
        })
      ).pipe(Effect.map(Context.get(Quay)))
      const results = yield* Effect.forEach(
        Array.from({ length: 35 }, (_, i) => `burst/r-${i}`),
        (name) => Effect.either(quay.getRepository(name)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(results.filter((r) => r._tag === "Left"), [])
      const statuses = Object.values(simulator.model.requestCounts().byEndpoint).flatMap((byStatus) => Object.keys(byStatus))
      assert.notInclude(statuses, "429")
      assert.strictEqual(simulator.model.requestCounts().total, 35)
    }))
})
