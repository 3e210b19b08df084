/** Loading a kubeconfig, with errors that never quote it: a kubeconfig may hold a bearer token. */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
// Types only. client-node's KubeConfig module imports the whole generated API (~75 MB RSS, whichever path it is
// imported by), so the package is loaded only for the forms nativeKubeConfig.ts does not read.
import type { KubeConfig } from "@kubernetes/client-node"
import { Effect, Option } from "effect"
import { failureMessage } from "../../domain/FailureMessage.ts"
import { type ApiserverAccess, fromKubeConfig } from "./ApiserverAccess.ts"
import { KubeConfigError } from "./KubeConfigError.ts"
import { inCluster, serviceAccountDirectory, staticKubeConfig } from "./nativeKubeConfig.ts"

/**
 * Where the kubeconfig comes from: one already loaded; the path of a kubeconfig file, or several joined by the
 * platform's path delimiter as in KUBECONFIG; or, when absent, ~/.kube/config if it exists, else the pod's
 * service account (in-cluster). The search order of client-node's `loadFromDefault`, read from a `Config`.
 */
export type KubeConfigSource = KubeConfig | string | undefined

/** Where a pod's service account token is mounted: its presence means in-cluster configuration. */
const serviceAccountToken = Path.join(serviceAccountDirectory, "token")

const clientNode = Effect.promise(() => import("@kubernetes/client-node"))

const loadFile = (path: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.flatMap(clientNode, ({ KubeConfig }) =>
    Effect.try({
      try: () => {
        const kc = new KubeConfig()
        kc.loadFromFile(path)
        return kc
      },
      catch: (cause) => new KubeConfigError({ detail: `cannot load ${path}: ${loadErrorReason(cause)}` })
    }))

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

/** One kubeconfig file: read here when it is a static JSON one, else by client-node. */
const loadOneFile = (path: string): Effect.Effect<ApiserverAccess, KubeConfigError> =>
  Effect.gen(function*() {
    const text = yield* Effect.try({
      try: () => Fs.readFileSync(path, "utf-8"),
      catch: (cause) => new KubeConfigError({ detail: `cannot load ${path}: ${loadErrorReason(cause)}` })
    })
    const native = yield* staticKubeConfig(path, text)
    return Option.isSome(native) ? native.value : yield* Effect.flatMap(loadFile(path), fromKubeConfig)
  })

/** How to reach the apiserver a source names (see `KubeConfigSource`). */
export const loadKubeConfig = (source: KubeConfigSource): Effect.Effect<ApiserverAccess, KubeConfigError> => {
  if (typeof source === "object") return fromKubeConfig(source)
  const paths = (source ?? "").split(Path.delimiter).filter((path) => path !== "")
  if (paths.length === 1) return loadOneFile(paths[0] ?? "")
  if (paths.length > 1) return Effect.flatMap(loadFiles(paths), fromKubeConfig)
  const home = Path.join(Os.homedir(), ".kube", "config")
  if (exists(home)) return loadOneFile(home)
  if (exists(serviceAccountToken)) return inCluster(process.env)
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
