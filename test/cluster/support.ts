/** Shared wiring for tests against the local control plane started by globalSetup.ts. */
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Layer, Schema } from "effect"
import { ObjectMeta } from "../../src/domain/ObjectMeta.ts"
import * as KubernetesLive from "../../src/layers/KubernetesLive.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { resourceKind } from "../../src/services/ResourceKind.ts"
import { kubeconfigPath } from "./e2e/clusterKubeconfig.ts"

/** The test cluster's kubeconfig (the global setup's). */
export { kubeconfigPath }

/** The live layer on the test cluster; a kubeconfig that does not load is a broken setup, so it dies. */
export const liveLayer = (): Layer.Layer<Kubernetes> => KubernetesLive.layer({ kubeconfig: kubeconfigPath() }).pipe(Layer.orDie)

/** Namespaces are cluster-scoped: an object without metadata.namespace is addressed at /api/v1/namespaces. */
export const Namespace = resourceKind({
  group: "",
  version: "v1",
  kind: "Namespace",
  plural: "namespaces",
  statusSubresource: true,
  schema: Schema.Struct({ apiVersion: Schema.optional(Schema.String), kind: Schema.optional(Schema.String), metadata: ObjectMeta })
})

export const testLabel = "test.image-repository-operator/run"

/** Namespaces this test file made (each test file runs in its own module instance). */
const created = new Set<string>()

/** A new namespace for one test, so tests never see each other's objects. */
export const freshNamespace: Effect.Effect<string, never, Kubernetes> = Effect.gen(function*() {
  const k8s = yield* Kubernetes
  const name = `t-${randomBytes(5).toString("hex")}`
  yield* k8s.create(Namespace, { metadata: { name, labels: { [testLabel]: "true" } } })
  created.add(name)
  return name
}).pipe(Effect.orDie)

/** Deletes this file's namespaces (the namespace controller empties them), for clusters that outlive the run. */
export const deleteTestNamespaces: Effect.Effect<void, never, Kubernetes> = Effect.gen(function*() {
  const k8s = yield* Kubernetes
  yield* Effect.forEach(created, (name) => k8s.delete(Namespace, { namespace: "", name }).pipe(Effect.ignore), {
    concurrency: 8,
    discard: true
  })
  created.clear()
})

/** ConfigMaps skip the apiserver's watch cache in the test cluster (start.sh), so etcd compaction expires their watches. */
export const ConfigMap = resourceKind({
  group: "",
  version: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  statusSubresource: false,
  schema: Schema.Struct({
    apiVersion: Schema.optional(Schema.String),
    kind: Schema.optional(Schema.String),
    metadata: ObjectMeta,
    data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
  })
})

/** Compacts etcd's history up to now, through its JSON gateway: older resourceVersions become too old to watch from. */
export const compactEtcd: Effect.Effect<void> = Effect.promise(async () => {
  const env = Fs.readFileSync(Path.join(Path.dirname(kubeconfigPath()), "env"), "utf8")
  const port = /^ETCD_PORT=(\d+)$/m.exec(env)?.[1]
  if (port === undefined) throw new Error("the control plane's env file names no ETCD_PORT")
  const call = async (path: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body: JSON.stringify(body) })
    if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status}`)
    return response.json()
  }
  const range = (await call("/v3/kv/range", { key: Buffer.from("compact-probe").toString("base64") })) as {
    readonly header: { readonly revision: string }
  }
  await call("/v3/kv/compaction", { revision: range.header.revision, physical: true })
})
