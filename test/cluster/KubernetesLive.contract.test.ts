/** The shared Kubernetes contract, against the real kube-apiserver (+ kube-controller-manager for GC). */
import { afterAll } from "@effect/vitest"
import { Effect } from "effect"
import { kubernetesContract } from "../kubernetes/contract.ts"
import { deleteTestNamespaces, freshNamespace, liveLayer } from "./support.ts"

kubernetesContract("Kubernetes contract: live apiserver", () => ({
  layer: liveLayer(),
  freshNamespace,
  // kube-controller-manager's garbage collector acts within a second or two; allow for a loaded machine.
  eventually: "30 seconds"
}))

afterAll(() => Effect.runPromise(Effect.provide(deleteTestNamespaces, liveLayer())))
