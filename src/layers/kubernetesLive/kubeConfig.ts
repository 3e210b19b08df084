/** Loading a kubeconfig, with errors that never quote it: a kubeconfig may hold a bearer token. */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
// The package barrel: client-node's own config module imports the whole generated API too (most of the
// ~80 MB RSS the package costs), so importing KubeConfig by its module path saves only ~2 MB.
import { KubeConfig } from "@kubernetes/client-node"
import { Effect } from "effect"
import { failureMessage } from "../../domain/FailureMessage.ts"
import { KubeConfigError } from "./KubeConfigError.ts"

/**
 * Where the kubeconfig comes from: one already loaded; the path of a kubeconfig file, or several joined by the
 * platform's path delimiter as in KUBECONFIG; or, when absent, ~/.kube/config if it exists, else the pod's
 * service account (in-cluster). The search order of client-node's `loadFromDefault`, read from a `Config`.
 */
export type KubeConfigSource = KubeConfig | string | undefined

/** Where a pod's service account token is mounted; client-node reads it for in-cluster configuration. */
const serviceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token"

const loadFile = (path: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.try({
    try: () => {
      const kc = new KubeConfig()
      kc.loadFromFile(path)
      return kc
    },
    catch: (cause) => new KubeConfigError({ detail: `cannot load ${path}: ${loadErrorReason(cause)}` })
  })

/** Merged as client-node's `loadFromDefault` merges KUBECONFIG's files: a later file's current context wins. */
const loadFiles = (paths: ReadonlyArray<string>): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.gen(function*() {
    const [first = "", ...rest] = paths
    const kc = yield* loadFile(first)
    for (const path of rest) {
      const more = yield* loadFile(path)
      yield* Effect.try({
        try: () => kc.mergeConfig(more),
        catch: (cause) => new KubeConfigError({ detail: `cannot merge ${path}: ${loadErrorReason(cause)}` })
      })
    }
    return kc
  })

const exists = (path: string): boolean => {
  try {
    Fs.accessSync(path)
    return true
  } catch {
    return false
  }
}

const loadInCluster: Effect.Effect<KubeConfig, KubeConfigError> = Effect.try({
  try: () => {
    const kc = new KubeConfig()
    kc.loadFromCluster()
    return kc
  },
  catch: (cause) => new KubeConfigError({ detail: `in-cluster configuration: ${loadErrorReason(cause)}` })
})

/** The kubeconfig of a source (see `KubeConfigSource`). */
export const loadKubeConfig = (source: KubeConfigSource): Effect.Effect<KubeConfig, KubeConfigError> => {
  if (typeof source === "object") return Effect.succeed(source)
  const paths = (source ?? "").split(Path.delimiter).filter((path) => path !== "")
  if (paths.length > 0) return loadFiles(paths)
  const home = Path.join(Os.homedir(), ".kube", "config")
  if (exists(home)) return loadFile(home)
  if (exists(serviceAccountToken)) return loadInCluster
  return Effect.fail(
    new KubeConfigError({
      detail: `none given (KUBECONFIG), none at ${home}, and no service account token at ${serviceAccountToken}`
    })
  )
}

/**
 * Why a kubeconfig could not be loaded, without any of its content: a YAML error's message quotes the
 * offending lines, which may hold a bearer token. Only the parser's reason and the line number are kept.
 */
export const loadErrorReason = (cause: unknown): string => {
  if (typeof cause !== "object" || cause === null) return "unknown error"
  if ("reason" in cause && typeof cause.reason === "string") {
    const line = "mark" in cause && typeof cause.mark === "object" && cause.mark !== null && "line" in cause.mark &&
        typeof cause.mark.line === "number"
      ? ` at line ${cause.mark.line + 1}`
      : ""
    return `invalid YAML: ${cause.reason}${line}`
  }
  // JSON.parse and similar quote the input too.
  if (cause instanceof SyntaxError) return "invalid syntax"
  // File system errors (ENOENT, EACCES) and client-node's validation name paths and fields, not values.
  return failureMessage(cause)
}
