/**
 * The kubeconfig forms read without @kubernetes/client-node, whose KubeConfig loads its whole generated API (about
 * 75 MB RSS, a quarter of the heap at start): a pod's service account (how the Deployment runs), and a JSON
 * kubeconfig whose current user holds static credentials. Both follow client-node's own reading of them; any other
 * form is left to client-node.
 */
import * as Fs from "node:fs"
import type * as Https from "node:https"
import * as Net from "node:net"
import * as Path from "node:path"
import { Clock, Effect, Option, Ref } from "effect"
import { failureMessage } from "../../domain/FailureMessage.ts"
import type { KubernetesUnavailable } from "../../services/KubernetesError.ts"
import { type ApiserverAccess, credentialsUnavailable } from "./ApiserverAccess.ts"
import { KubeConfigError } from "./KubeConfigError.ts"

/** Where a pod's service account is mounted. */
export const serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

/** A token file is read again after this long (client-go and client-node do the same): a rotated token is used. */
const tokenFileTtlMillis = 60_000

const readFile = (path: string, what: string): Effect.Effect<Buffer, KubeConfigError> =>
  Effect.try({
    try: () => Fs.readFileSync(path),
    catch: (cause) => new KubeConfigError({ detail: `reading ${what} ${path}: ${failureMessage(cause)}` })
  })

/** `Authorization: Bearer` from a token file, read again once it is older than a minute. */
const tokenFileCredentials = (
  path: string
): Effect.Effect<Effect.Effect<Record<string, string>, KubernetesUnavailable>> =>
  Effect.map(Ref.make(Option.none<{ readonly token: string; readonly readAt: number }>()), (cache) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const cached = yield* Ref.get(cache)
      if (Option.isSome(cached) && now - cached.value.readAt <= tokenFileTtlMillis) {
        return bearer(cached.value.token)
      }
      const token = yield* Effect.try({ try: () => Fs.readFileSync(path, "utf-8"), catch: credentialsUnavailable })
      yield* Ref.set(cache, Option.some({ token, readAt: now }))
      return bearer(token)
    }))

const bearer = (token: string): Record<string, string> => token === "" ? {} : { Authorization: `Bearer ${token}` }

/**
 * A pod's service account: KUBERNETES_SERVICE_HOST and _PORT, the mounted CA, and the mounted token (re-read, so a
 * rotated bound token is used), as client-node's `loadFromCluster` reads them.
 */
export const inCluster = (
  environment: Readonly<Record<string, string | undefined>>,
  directory: string = serviceAccountDirectory
): Effect.Effect<ApiserverAccess, KubeConfigError> =>
  Effect.gen(function*() {
    const host = environment["KUBERNETES_SERVICE_HOST"] ?? ""
    const port = environment["KUBERNETES_SERVICE_PORT"] ?? ""
    if (host === "" || port === "") {
      return yield* new KubeConfigError({ detail: "in-cluster configuration: KUBERNETES_SERVICE_HOST and _PORT are not set" })
    }
    const scheme = port === "80" || port === "8080" || port === "8001" ? "http" : "https"
    const server = `${scheme}://${Net.isIPv6(host) ? `[${host}]` : host}:${port}`
    const ca = yield* readFile(Path.join(directory, "ca.crt"), "the service account CA")
    const credentials = yield* tokenFileCredentials(Path.join(directory, "token"))
    return { server, tls: { ca }, credentials }
  })

type Json = Readonly<Record<string, unknown>>

const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const stringField = (record: Json, key: string): string | undefined => {
  const value = record[key]
  return typeof value === "string" && value !== "" ? value : undefined
}

/** The `field` of the entry named `name` in a kubeconfig list (clusters, users, contexts). */
const entry = (list: unknown, name: string, field: string): Json | undefined => {
  if (!Array.isArray(list)) return undefined
  const found: unknown = list.find((item) => isRecord(item) && item["name"] === name)
  return isRecord(found) && isRecord(found[field]) ? found[field] : undefined
}

/** The user fields read here; a user with any other (exec, auth-provider, username, as, ...) is client-node's. */
const staticUserFields: ReadonlySet<string> = new Set([
  "token",
  "client-certificate",
  "client-certificate-data",
  "client-key",
  "client-key-data"
])

/** File content, or base64 data; a relative file is relative to the kubeconfig, as client-node resolves it. */
const material = (
  record: Json,
  fileKey: string,
  dataKey: string,
  directory: string
): Effect.Effect<Buffer | undefined, KubeConfigError> => {
  const file = stringField(record, fileKey)
  if (file !== undefined) return readFile(Path.resolve(directory, file), fileKey)
  const data = stringField(record, dataKey)
  return Effect.succeed(data === undefined ? undefined : Buffer.from(data, "base64"))
}

/**
 * The access a JSON kubeconfig file describes, when its current context names a cluster without a proxy and a user
 * with static credentials only (a token, a client certificate); none otherwise (YAML, exec plugins, auth
 * providers, proxies), for client-node to read.
 */
export const staticKubeConfig = (
  path: string,
  text: string
): Effect.Effect<Option.Option<ApiserverAccess>, KubeConfigError> =>
  Effect.gen(function*() {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return Option.none()
    }
    if (!isRecord(parsed)) return Option.none()
    const current = stringField(parsed, "current-context")
    const context = current === undefined ? undefined : entry(parsed["contexts"], current, "context")
    const clusterName = context === undefined ? undefined : stringField(context, "cluster")
    const cluster = clusterName === undefined ? undefined : entry(parsed["clusters"], clusterName, "cluster")
    const userName = context === undefined ? undefined : stringField(context, "user")
    const user = userName === undefined ? {} : entry(parsed["users"], userName, "user")
    const server = cluster === undefined ? undefined : stringField(cluster, "server")
    if (
      cluster === undefined || server === undefined || user === undefined || cluster["proxy-url"] !== undefined ||
      Object.keys(user).some((key) => !staticUserFields.has(key))
    ) return Option.none()

    const directory = Path.dirname(path)
    const tls: Https.AgentOptions = {}
    const ca = yield* material(cluster, "certificate-authority", "certificate-authority-data", directory)
    if (ca !== undefined) tls.ca = ca
    const cert = yield* material(user, "client-certificate", "client-certificate-data", directory)
    if (cert !== undefined) tls.cert = cert
    const key = yield* material(user, "client-key", "client-key-data", directory)
    if (key !== undefined) tls.key = key
    if (cluster["insecure-skip-tls-verify"] === true) tls.rejectUnauthorized = false
    const serverName = stringField(cluster, "tls-server-name")
    if (serverName !== undefined) tls.servername = serverName

    const token = stringField(user, "token")
    const credentials = Effect.succeed(token === undefined ? {} : bearer(token))
    return Option.some({ server: server.replace(/\/+$/, ""), tls, credentials })
  })
