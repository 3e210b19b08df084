import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Data, Effect, type Scope } from "effect"
import type { Manager } from "./Manager.ts"

export class HealthServerError extends Data.TaggedError("HealthServerError")<{ readonly reason: string }> {
  override get message(): string {
    return `health endpoint: ${this.reason}`
  }
}

export interface HealthServer {
  readonly port: number
}

/** What the probes read of the manager. */
export type Probed = Pick<Manager, "active" | "failures">

/**
 * The kubelet's probes: `/healthz` answers while the process does (a wedged event loop fails it) and fails once
 * the manager has given up on an informer or worker that kept dying, so the kubelet restarts the pod; `/readyz`
 * once the controller runs. A standby replica is ready too (it is ready to take over); the body says which it is.
 * Served on all interfaces of the pod, plain HTTP, and closed with the scope.
 */
export const serve = (
  port: number,
  manager: Probed,
  host = "0.0.0.0"
): Effect.Effect<HealthServer, HealthServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: ReturnType<typeof createServer>; readonly port: number }, HealthServerError>((resume) => {
      const server = createServer((req, res) => {
        const reply = (status: number, body: string) => {
          res.writeHead(status, { "content-type": "text/plain; charset=utf-8" })
          res.end(`${body}\n`)
        }
        if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "method not allowed")
        if (req.url === "/healthz") {
          Effect.runPromise(manager.failures).then(
            (failures) => (failures.length === 0 ? reply(200, "ok") : reply(500, `unhealthy: ${failures.join("; ")}`)),
            () => reply(500, "manager state unknown")
          )
          return
        }
        if (req.url === "/readyz") {
          Effect.runPromise(manager.active).then(
            (active) => reply(200, active ? "ok: leading" : "ok: standing by"),
            () => reply(503, "controller state unknown")
          )
          return
        }
        reply(404, "not found")
      })
      server.once("error", (error) => resume(Effect.fail(new HealthServerError({ reason: error.message }))))
      server.listen(port, host, () => {
        resume(Effect.succeed({ server, port: (server.address() as AddressInfo).port }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ port }) => ({ port })))
