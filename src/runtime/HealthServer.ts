import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Data, Effect, type Scope } from "effect"
import type { Controller } from "./Controller.ts"

export class HealthServerError extends Data.TaggedError("HealthServerError")<{ readonly reason: string }> {
  override get message(): string {
    return `health endpoint: ${this.reason}`
  }
}

export interface HealthServer {
  readonly port: number
}

/**
 * The kubelet's probes: `/healthz` answers while the process does (a wedged event loop fails it), `/readyz` once
 * the controller runs. A standby replica is ready too (it is ready to take over); the body says which it is.
 * Served on all interfaces of the pod, plain HTTP, and closed with the scope.
 */
export const serve = (
  port: number,
  controller: Controller,
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
        if (req.url === "/healthz") return reply(200, "ok")
        if (req.url === "/readyz") {
          Effect.runPromise(controller.active).then(
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
