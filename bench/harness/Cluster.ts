/**
 * The local control plane as the cluster scenarios use it: started (and built the first time) in CLUSTER_STATE_DIR,
 * driven through kubectl for what needs no typed client (CRDs, namespaces, the apiserver's own metrics), with the
 * project's live Kubernetes layer for objects.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Data, Effect, Layer } from "effect"
import * as ControlPlane from "../../src/cluster/ControlPlane.ts"
import * as KubernetesLive from "../../src/layers/KubernetesLive.ts"
import type { Kubernetes } from "../../src/services/Kubernetes.ts"
import type { BenchContext } from "../Scenario.ts"
import type { OriginalController } from "./OriginalController.ts"

export class ClusterError extends Data.TaggedError("ClusterError")<{ readonly reason: string }> {
  override get message(): string {
    return `bench cluster: ${this.reason}`
  }
}

export interface Cluster {
  readonly kubeconfig: string
  readonly live: Layer.Layer<Kubernetes>
  /** The local control plane's state directory (its components' pid files); absent for a cluster given by kubeconfig. */
  readonly stateDir?: string | undefined
}

const clusterOf = (kubeconfig: string, stateDir?: string): Cluster => ({
  kubeconfig,
  live: KubernetesLive.layer({ kubeconfig }).pipe(Layer.orDie),
  stateDir
})

export const up = (context: BenchContext): Effect.Effect<Cluster, ClusterError> =>
  context.kubeconfig !== undefined
    ? Effect.succeed(clusterOf(context.kubeconfig))
    : ControlPlane.up({ ...(context.stateDir === undefined ? {} : { stateDir: context.stateDir }), onProgress: context.progress }).pipe(
      Effect.mapError((error) => new ClusterError({ reason: error.message })),
      Effect.map((plane) => clusterOf(plane.kubeconfig, plane.stateDir))
    )

export const kubectl = (cluster: Cluster, args: ReadonlyArray<string>): Effect.Effect<string, ClusterError> =>
  Effect.async<string, ClusterError>((resume) => {
    const child = execFile("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) =>
      resume(error === null ? Effect.succeed(stdout) : Effect.fail(new ClusterError({ reason: `kubectl ${args.join(" ")}: ${stderr || error.message}` }))))
    return Effect.sync(() => {
      child.kill()
    })
  })

/** Which controller's CRDs are installed: both define imagerepositories.appstudio.redhat.com. */
export type Flavour = { readonly _tag: "Ours" } | { readonly _tag: "Original"; readonly original: OriginalController }

const crdNames = [
  "imagerepositories.appstudio.redhat.com",
  "imagerepositories.konflux-ci.dev",
  "components.appstudio.redhat.com",
  "applications.appstudio.redhat.com"
]

const crdFiles = (flavour: Flavour): ReadonlyArray<string> =>
  flavour._tag === "Ours"
    ? [
      Path.join(ControlPlane.projectRoot, "config", "crd", "appstudio.redhat.com_imagerepositories.yaml"),
      Path.join(ControlPlane.projectRoot, "config", "crd", "component", "appstudio.redhat.com_components.yaml")
    ]
    : Fs.readdirSync(flavour.original.crdDir).filter((f) => f.endsWith(".yaml")).map((f) => Path.join(flavour.original.crdDir, f))

/** Replaces the installed CRDs with this flavour's (their objects go with them: clear finalizers first). */
export const installCrds = (cluster: Cluster, flavour: Flavour): Effect.Effect<void, ClusterError> =>
  Effect.gen(function*() {
    yield* kubectl(cluster, ["delete", "crd", "--ignore-not-found", "--wait", "--timeout=180s", ...crdNames])
    yield* kubectl(cluster, ["create", ...crdFiles(flavour).flatMap((file) => ["-f", file])])
    yield* kubectl(cluster, ["wait", "--for=condition=Established", "--timeout=60s", ...crdFiles(flavour).flatMap((file) => ["-f", file])])
  })

/**
 * Deletes a namespace after taking the finalizers off the kinds whose controller has stopped, and waits until it is
 * gone: the namespace controller's deletes would otherwise count as writes in the next measurement.
 */
export const dropNamespace = (cluster: Cluster, namespace: string): Effect.Effect<void, ClusterError> =>
  Effect.gen(function*() {
    for (const kind of ["imagerepositories.appstudio.redhat.com", "components.appstudio.redhat.com", "applications.appstudio.redhat.com"]) {
      const names = (yield* kubectl(cluster, ["get", kind, "-n", namespace, "-o", "name"]).pipe(
        Effect.orElseSucceed(() => "")
      )).split("\n").filter((line) => line !== "")
      // kubectl patch takes many names at once but goes through them one by one under its own client rate limit
      // (10,000 objects took over 20 minutes in one process): several processes at once, a hundred names each.
      const slices = Array.from({ length: Math.ceil(names.length / 100) }, (_, i) => names.slice(i * 100, (i + 1) * 100))
      yield* Effect.forEach(slices, (slice) =>
        kubectl(cluster, ["patch", "-n", namespace, "--type=merge", "-p", `{"metadata":{"finalizers":null}}`, ...slice]), {
        concurrency: 12,
        discard: true
      })
    }
    yield* kubectl(cluster, ["delete", "namespace", namespace, "--wait=true", "--timeout=600s", "--ignore-not-found"])
  })

export const createNamespace = (cluster: Cluster, namespace: string): Effect.Effect<void, ClusterError> =>
  Effect.asVoid(kubectl(cluster, ["create", "namespace", namespace]))

const writeVerbs = new Set(["POST", "PUT", "PATCH", "DELETE", "APPLY"])
/** What either controller reads and writes; leases and the control plane's own kinds are left out. */
const controllerKinds = new Set(["imagerepositories", "secrets", "serviceaccounts", "events", "components", "applications", "configmaps"])

/** `VERB resource[/subresource]` → requests served since the apiserver started. */
export type ApiserverRequests = ReadonlyMap<string, number>

/**
 * Requests the apiserver has served for the controllers' kinds since it started, by verb and resource (its
 * apiserver_request_total counter): take the difference around a measurement.
 */
export const apiserverRequests = (cluster: Cluster): Effect.Effect<ApiserverRequests, ClusterError> =>
  Effect.map(kubectl(cluster, ["get", "--raw", "/metrics"]), (text) => {
    const counts = new Map<string, number>()
    for (const line of text.split("\n")) {
      if (!line.startsWith("apiserver_request_total{")) continue
      const resource = /resource="([a-z]+)"/.exec(line)?.[1] ?? ""
      if (!controllerKinds.has(resource)) continue
      const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? ""
      const subresource = /subresource="([a-z]+)"/.exec(line)?.[1] ?? ""
      const key = `${verb} ${resource}${subresource === "" ? "" : `/${subresource}`}`
      counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)))
    }
    return counts
  })

/** The write requests among them. */
export const writesOf = (requests: ApiserverRequests): number =>
  [...requests].reduce((total, [key, n]) => (writeVerbs.has(key.slice(0, key.indexOf(" "))) ? total + n : total), 0)

/** Write requests for the controllers' kinds since the apiserver started: subtract the bench's own writes. */
export const apiserverWrites = (cluster: Cluster): Effect.Effect<number, ClusterError> =>
  Effect.map(apiserverRequests(cluster), writesOf)
