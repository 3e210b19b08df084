import { request } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"

/** A raw request target, sent as is (fetch would normalise it). */
const rawGet = (port: number, target: string) =>
  Effect.async<number, Error>((resume) => {
    const req = request({ host: "127.0.0.1", port, path: target, method: "GET" }, (res) => {
      res.resume()
      res.on("end", () => resume(Effect.succeed(res.statusCode ?? 0)))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.end()
  })

describe("QuaySimulator request targets", () => {
  it.scoped("answers odd request targets instead of crashing, and goes on serving", () =>
    Effect.gen(function*() {
      const sim = yield* QuaySimulator.start({ organization: "org", token: "t" })
      for (const target of ["//", "//:99999/x", "/api/v1//repository", "/%zz"]) {
        const status = yield* rawGet(sim.port, target)
        // A redirect (an API path without its slash) or a client error, never a crash.
        expect(status >= 300 && status < 500).toBe(true)
      }
      expect(yield* rawGet(sim.port, "/_sim/state")).toBe(200)
    }))
})
