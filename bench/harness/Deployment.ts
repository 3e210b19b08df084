/**
 * This operator as the shipped Deployment runs it (config/manager/manager.yaml and the Dockerfile): the image's
 * bundled `dist/image/operator.js` (the TypeScript source costs ~25 MB more RSS for Node's type stripping, tsc's
 * module graph ~14 MB more heap), the container's environment (NODE_OPTIONS, LOG_FORMAT, metrics and probes on, leader election) and its memory
 * request and limit, read from the manifest itself so the bench measures what is shipped.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Data, Effect, Either } from "effect"
import * as ImageBundle from "../../scripts/image/bundle.ts"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import { failureMessage } from "../../src/domain/FailureMessage.ts"
import * as Cluster from "./Cluster.ts"

export class DeploymentError extends Data.TaggedError("DeploymentError")<{ readonly reason: string }> {
  override get message(): string {
    return `the shipped Deployment: ${this.reason}`
  }
}

export interface Deployed {
  /** The container's environment with literal values (valueFrom entries are the pod's own: left out). */
  readonly environment: Readonly<Record<string, string>>
  readonly memoryRequestBytes: number
  readonly memoryLimitBytes: number
  /** Node's flags from the Dockerfile's ENTRYPOINT (`node <flags> <script>`), which NODE_OPTIONS cannot carry. */
  readonly nodeArguments: ReadonlyArray<string>
}

export const manifest = Path.join(projectRoot, "config", "manager", "manager.yaml")
export const dockerfile = Path.join(projectRoot, "Dockerfile")

/** The flags between `node` and the script in the Dockerfile's exec-form ENTRYPOINT. */
export const entrypointNodeArguments = (text: string): ReadonlyArray<string> | undefined => {
  const line = text.split("\n").findLast((l) => l.startsWith("ENTRYPOINT "))
  const form = line?.slice("ENTRYPOINT ".length).trim() ?? ""
  // The shell form (no JSON array) runs through /bin/sh: not what the bench can reproduce.
  const words: unknown = form.startsWith("[") ? Either.getOrUndefined(Either.try(() => JSON.parse(form) as unknown)) : undefined
  if (!Array.isArray(words) || words[0] !== "node" || !words.every((w) => typeof w === "string")) return undefined
  return words.slice(1, -1) as ReadonlyArray<string>
}

const units: Readonly<Record<string, number>> = { "": 1, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }

/** A Kubernetes memory quantity (`256Mi`, `1G`, `134217728`) in bytes. */
export const quantityBytes = (quantity: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)(|k|M|G|Ki|Mi|Gi)$/.exec(quantity.trim())
  const unit = match === null ? undefined : units[match[2] ?? ""]
  return match === null || unit === undefined ? undefined : Number(match[1]) * unit
}

interface Container {
  readonly name?: string
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value?: string }>
  readonly resources?: { readonly requests?: { readonly memory?: string }; readonly limits?: { readonly memory?: string } }
}

/** The operator container of the manifest's Deployment, parsed by kubectl (the manifest is YAML). */
export const read = (cluster: Cluster.Cluster): Effect.Effect<Deployed, DeploymentError | Cluster.ClusterError> =>
  Effect.gen(function*() {
    const json = yield* Cluster.kubectl(cluster, ["create", "--dry-run=client", "-o", "json", "-f", manifest])
    // One pretty-printed JSON object per manifest document, one after the other.
    const items = JSON.parse(`[${json.trim().replace(/\n}\s*\n{/g, "\n},\n{")}]`) as ReadonlyArray<
      { readonly kind?: string; readonly spec?: unknown }
    >
    const deployment = items.find((item) => item.kind === "Deployment") as
      | { readonly spec: { readonly template: { readonly spec: { readonly containers: ReadonlyArray<Container> } } } }
      | undefined
    const container = deployment?.spec.template.spec.containers.find((c) => c.name === "operator")
    if (container === undefined) return yield* new DeploymentError({ reason: `no operator container in ${manifest}` })
    const request = quantityBytes(container.resources?.requests?.memory ?? "")
    const limit = quantityBytes(container.resources?.limits?.memory ?? "")
    if (request === undefined || limit === undefined) {
      return yield* new DeploymentError({ reason: "the operator container has no memory request and limit" })
    }
    const environment: Record<string, string> = { NODE_ENV: "production" } // the Dockerfile's
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) environment[variable.name] = variable.value
    }
    const nodeArguments = entrypointNodeArguments(Fs.readFileSync(dockerfile, "utf8"))
    if (nodeArguments === undefined) {
      return yield* new DeploymentError({ reason: `${dockerfile} has no exec-form ENTRYPOINT ["node", ..., script]` })
    }
    return { environment, memoryRequestBytes: request, memoryLimitBytes: limit, nodeArguments }
  })

/** Builds the operator as the image does (`npm run build:image`: the esbuild bundle in dist/image/); its entry's path. */
export const build: Effect.Effect<string, DeploymentError> = Effect.tryPromise({
  try: () => ImageBundle.bundle(),
  catch: (error) => new DeploymentError({ reason: `npm run build:image failed: ${failureMessage(error)}` })
})

/**
 * The kubeconfig as JSON (kubectl's own conversion): the operator reads a static JSON kubeconfig itself, as it reads
 * a pod's service account, without @kubernetes/client-node; a YAML one would load that package (~75 MB RSS), which
 * the pod never does.
 */
export const jsonKubeconfig = (cluster: Cluster.Cluster, file: string): Effect.Effect<string, Cluster.ClusterError> =>
  Effect.gen(function*() {
    const json = yield* Cluster.kubectl(cluster, ["config", "view", "--raw", "--flatten", "-o", "json"])
    Fs.writeFileSync(file, json, { mode: 0o600 })
    return file
  })
