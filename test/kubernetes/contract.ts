/**
 * The behaviour of the `Kubernetes` service that the programs rely on, written against the interface only so
 * the same suite runs against the in-memory layer and against a real kube-apiserver (with the ImageRepository
 * CRD from config/crd/ installed and, for garbage collection, kube-controller-manager's garbage collector).
 *
 * Every test works in namespaces of its own from `freshNamespace`, so tests are independent on a shared
 * cluster, and every wait is bounded.
 *
 * Where a real apiserver may legitimately differ from the in-memory one, the test accepts both and says why:
 * - garbage collection is asynchronous on a cluster (kube-controller-manager), synchronous in memory: polled;
 * - a watch from an ancient resourceVersion is Gone in memory once the bounded history has moved past it,
 *   while a real apiserver serves it from etcd until compaction (every 5 minutes; kube-apiserver 1.35
 *   replayed from "1" on a young cluster), so it may replay instead: either is accepted.
 *
 * Run against a cluster like this (the suite passes against kube-apiserver 1.35 + kube-controller-manager):
 *
 *   kubernetesContract("Kubernetes contract: live", () => ({
 *     layer: KubernetesLive.layer({ kubeconfig: kubeconfigPath() }).pipe(Layer.orDie),
 *     freshNamespace // creates a Namespace object, e.g. test/cluster/support.ts
 *   }))
 */
import { layer } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { deletionContract } from "./contract/deletion.ts"
import type { ContractEnv } from "./contract/fixtures.ts"
import { objectContract } from "./contract/objects.ts"
import { updateContract } from "./contract/updates.ts"
import { watchContract } from "./contract/watch.ts"

export { type ContractEnv, UnservedInServedGroup, UnservedKind } from "./contract/fixtures.ts"

/** Registers the contract suite for one backend. */
export const kubernetesContract = (name: string, makeEnv: () => ContractEnv): void => {
  const env = makeEnv()
  const within = env.eventually ?? Duration.seconds(30)
  const fresh = env.freshNamespace.pipe(Effect.orDie)
  const testTimeout = Duration.toMillis(within) + 30_000

  // Live services: the polling and watch timeouts run on the real clock, as a real apiserver needs.
  layer(env.layer, { excludeTestServices: true, timeout: "120 seconds" })(name, (it) => {
    const context = { fresh, within, testTimeout }
    objectContract(it, context)
    updateContract(it, context)
    deletionContract(it, context)
    watchContract(it, context)
  })
}
