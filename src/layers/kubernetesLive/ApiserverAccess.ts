/**
 * What the transport needs of a kubeconfig: the apiserver's URL, the TLS material of its connection pool, and the
 * credentials of each request. Built natively for the common forms (in-cluster, a static kubeconfig) or from
 * @kubernetes/client-node's KubeConfig for the rest (exec plugins, auth providers, proxies, merged files).
 */
import type * as Https from "node:https"
// Types only: the package costs ~75 MB RSS to load, and is loaded only when a kubeconfig needs it.
import type { KubeConfig } from "@kubernetes/client-node"
import { Effect } from "effect"
import { failureMessage } from "../../domain/FailureMessage.ts"
import { KubernetesUnavailable } from "../../services/KubernetesError.ts"
import { KubeConfigError } from "./KubeConfigError.ts"

export interface ApiserverAccess {
  /** The apiserver's base URL, without a trailing slash. */
  readonly server: string
  /** CA, client certificate and key, verification: for the keep-alive connection pool. */
  readonly tls: Https.AgentOptions
  /**
   * The headers that authenticate one request, asked for on every request: rotated in-cluster tokens and
   * refreshed exec-plugin tokens are picked up.
   */
  readonly credentials: Effect.Effect<Record<string, string>, KubernetesUnavailable>
}

/** A credentials failure; the cause may carry credentials, so only its message is kept. */
export const credentialsUnavailable = (cause: unknown): KubernetesUnavailable =>
  new KubernetesUnavailable({ detail: `could not obtain credentials: ${failureMessage(cause)}` })

/** The TLS material of the kubeconfig's current cluster and user. */
const tlsOptions = (kc: KubeConfig): Effect.Effect<Https.AgentOptions, KubeConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const opts: Https.RequestOptions = {}
      await kc.applyToHTTPSOptions(opts)
      const agent: Https.AgentOptions = {}
      if (opts.ca !== undefined) agent.ca = opts.ca
      if (opts.cert !== undefined) agent.cert = opts.cert
      if (opts.key !== undefined) agent.key = opts.key
      if (opts.pfx !== undefined) agent.pfx = opts.pfx
      if (opts.passphrase !== undefined) agent.passphrase = opts.passphrase
      if (opts.rejectUnauthorized !== undefined) agent.rejectUnauthorized = opts.rejectUnauthorized
      if (opts.servername !== undefined) agent.servername = opts.servername
      return agent
    },
    catch: (cause) => new KubeConfigError({ detail: `reading TLS settings: ${failureMessage(cause)}` })
  })

/** Per-request credentials from the KubeConfig (tokens, exec plugins, auth providers, basic auth). */
const authHeaders = (kc: KubeConfig): Effect.Effect<Record<string, string>, KubernetesUnavailable> =>
  Effect.tryPromise({
    try: async () => {
      const opts: Https.RequestOptions = {}
      await kc.applyToHTTPSOptions(opts)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (typeof value === "string") headers[name] = value
        else if (typeof value === "number") headers[name] = String(value)
      }
      if (typeof opts.auth === "string") headers["Authorization"] = `Basic ${Buffer.from(opts.auth).toString("base64")}`
      return headers
    },
    catch: credentialsUnavailable
  })

/**
 * The access a client-node KubeConfig describes (its current context). A user without an exec plugin or auth
 * provider has fixed credentials: they are worked out once, not on every request (client-node's per-request
 * work cost a tenth of the operator's CPU in a burst).
 */
export const fromKubeConfig = (kc: KubeConfig): Effect.Effect<ApiserverAccess, KubeConfigError> =>
  Effect.gen(function*() {
    const cluster = kc.getCurrentCluster()
    if (cluster === null) return yield* new KubeConfigError({ detail: "the kubeconfig has no current cluster" })
    const user = kc.getCurrentUser()
    const refreshed = user !== null && (user.exec !== undefined || user.authProvider !== undefined)
    const credentials = refreshed ? authHeaders(kc) : Effect.succeed(
      yield* authHeaders(kc).pipe(Effect.mapError((error) => new KubeConfigError({ detail: error.message })))
    )
    return { server: cluster.server.replace(/\/+$/, ""), tls: yield* tlsOptions(kc), credentials }
  })
