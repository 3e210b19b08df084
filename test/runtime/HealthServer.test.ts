import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref, Scope, Exit } from "effect"
import * as HealthServer from "../../src/runtime/HealthServer.ts"

const get = (port: number, path: string) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`)
    return { status: response.status, body: (await response.text()).trim() }
  })

const healthy: HealthServer.Probed = { active: Effect.succeed(true), failures: Effect.succeed([]) }

describe("HealthServer", () => {
  it.live("answers the probes, tells a leader from a standby, and closes with its scope", () =>
    Effect.gen(function*() {
      const active = yield* Ref.make(false)
      const scope = yield* Scope.make()
      const { port } = yield* HealthServer.serve(0, { active: Ref.get(active), failures: Effect.succeed([]) }, "127.0.0.1").pipe(Scope.extend(scope))
      expect(yield* get(port, "/healthz")).toEqual({ status: 200, body: "ok" })
      expect(yield* get(port, "/readyz")).toEqual({ status: 200, body: "ok: standing by" })
      yield* Ref.set(active, true)
      expect(yield* get(port, "/readyz")).toEqual({ status: 200, body: "ok: leading" })
      expect((yield* get(port, "/metrics")).status).toBe(404)
      yield* Scope.close(scope, Exit.void)
      const refused = yield* Effect.either(Effect.tryPromise(() => fetch(`http://127.0.0.1:${port}/healthz`)))
      expect(refused._tag).toBe("Left")
    }))

  it.live("a port already in use is a typed error, not a crash", () =>
    Effect.gen(function*() {
      const first = yield* HealthServer.serve(0, healthy, "127.0.0.1")
      const second = yield* Effect.either(HealthServer.serve(first.port, healthy, "127.0.0.1"))
      expect(second._tag === "Left" ? second.left._tag : "no error").toBe("HttpEndpointError")
    }).pipe(Effect.scoped))

  it.live("/healthz fails once the manager has given up on a loop, and says which; /readyz is unaffected", () =>
    Effect.gen(function*() {
      const failures = yield* Ref.make<ReadonlyArray<string>>([])
      const { port } = yield* HealthServer.serve(0, { active: Effect.succeed(true), failures: Ref.get(failures) }, "127.0.0.1")
      expect(yield* get(port, "/healthz")).toEqual({ status: 200, body: "ok" })
      yield* Ref.set(failures, ["informer Secret died 6 times within 5m: boom"])
      expect(yield* get(port, "/healthz")).toEqual({
        status: 500,
        body: "unhealthy: informer Secret died 6 times within 5m: boom"
      })
      expect((yield* get(port, "/readyz")).status).toBe(200)
    }).pipe(Effect.scoped))
})
