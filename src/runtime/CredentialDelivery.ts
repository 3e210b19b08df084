/**
 * Which way credentials are delivered, decided once at start: `REMOTE_SECRETS=auto` (the default) uses RemoteSecrets
 * when the apiserver serves their API (discovery), `on` always, `off` never. A change (the RemoteSecret operator
 * installed or removed) takes a restart; the programs converge either way (programs/remoteSecrets.ts).
 */
import { Effect, Schedule } from "effect"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { CredentialDelivery } from "../services/ProgramSettings.ts"
import { RemoteSecret } from "../services/ResourceKind.ts"

export const remoteSecretModes = ["auto", "on", "off"] as const
export type RemoteSecretMode = typeof remoteSecretModes[number]

export interface Decision {
  readonly delivery: CredentialDelivery
  /** Whether the apiserver serves the RemoteSecret API. */
  readonly served: boolean
}

/** The mode for a requested setting and what discovery found. */
export const decide = (requested: RemoteSecretMode, served: boolean): Decision => ({
  delivery: requested === "on" || (requested === "auto" && served) ? "remote-secrets" : "secrets",
  served
})

/** Discovery at start may meet an apiserver that is still coming up: a few tries, then the start fails. */
const discoveryRetry = Schedule.exponential("500 millis").pipe(Schedule.intersect(Schedule.recurs(5)))

/** Asks the apiserver, decides, and says which mode is in force (the start-up log line). */
export const resolve = (requested: RemoteSecretMode) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const served = yield* kube.serves(RemoteSecret).pipe(Effect.retry(discoveryRetry))
    const decision = decide(requested, served)
    const api = `${RemoteSecret.group}/${RemoteSecret.version} ${RemoteSecret.plural}`
    yield* Effect.logInfo(
      `credentials mode: ${decision.delivery === "remote-secrets" ? "RemoteSecret" : "Secret"} ` +
        `(REMOTE_SECRETS=${requested}; ${api} ${served ? "served" : "not served"})`
    )
    if (requested === "on" && !served) {
      yield* Effect.logWarning(`REMOTE_SECRETS=on but the apiserver does not serve ${api}: no credentials are delivered until it does`)
    }
    return decision
  }).pipe(Effect.withSpan("CredentialDelivery.resolve"))
