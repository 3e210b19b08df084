import { Effect, Option, type Scope } from "effect"
import * as HttpEndpoint from "./HttpEndpoint.ts"
import type { Manager } from "./Manager.ts"

/** What the probes read: the manager's state, and optionally a dependency's trouble (Quay's, from its probe). */
export interface Probed extends Pick<Manager, "active" | "failures"> {
  /** Why the operator cannot do its work right now (e.g. Quay unreachable); None when it can. */
  readonly trouble?: Effect.Effect<Option.Option<string>> | undefined
}

const text = (status: number, body: string): HttpEndpoint.Reply => ({ status, body: `${body}\n` })

/**
 * The kubelet's probes. `/healthz` answers while the process does (a wedged event loop fails it) and fails once
 * the manager has given up on an informer or worker that kept dying, so the kubelet restarts the pod. `/readyz`
 * answers once the controller runs; a standby is ready too (ready to take over; the body says which), and Quay
 * trouble makes it unready without failing liveness (a restart would not mend Quay). Served on all interfaces of
 * the pod, plain HTTP, and closed with the scope.
 */
export const serve = (
  port: number,
  manager: Probed,
  host = "0.0.0.0"
): Effect.Effect<HttpEndpoint.HttpEndpoint, HttpEndpoint.HttpEndpointError, Scope.Scope> =>
  HttpEndpoint.serve("health", port, host, (path) => {
    if (path === "/healthz") {
      return Effect.map(manager.failures, (failures) =>
        failures.length === 0 ? text(200, "ok") : text(500, `unhealthy: ${failures.join("; ")}`))
    }
    if (path === "/readyz") {
      return Effect.gen(function*() {
        const trouble = manager.trouble === undefined ? Option.none() : yield* manager.trouble
        if (Option.isSome(trouble)) return text(503, `not ready: ${trouble.value}`)
        return text(200, (yield* manager.active) ? "ok: leading" : "ok: standing by")
      })
    }
    return Effect.succeed(undefined)
  })
