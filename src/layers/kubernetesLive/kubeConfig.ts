/** Loading a kubeconfig, with errors that never quote it: a kubeconfig may hold a bearer token. */
import { KubeConfig } from "@kubernetes/client-node"
import { Effect } from "effect"
import { KubeConfigError } from "./KubeConfigError.ts"

/** Loads a kubeconfig file. */
export const loadFile = (path: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.try({
    try: () => {
      const kc = new KubeConfig()
      kc.loadFromFile(path)
      return kc
    },
    catch: (cause) => new KubeConfigError({ detail: `cannot load ${path}: ${loadErrorReason(cause)}` })
  })

/** KUBECONFIG, else ~/.kube/config, else the in-cluster service account (client-node's usual search order). */
export const loadFromEnvironment: Effect.Effect<KubeConfig, KubeConfigError> = Effect.try({
  try: () => {
    const kc = new KubeConfig()
    kc.loadFromDefault()
    return kc
  },
  catch: (cause) => new KubeConfigError({ detail: loadErrorReason(cause) })
})

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
  return cause instanceof Error ? cause.message : "unknown error"
}
