import { Effect } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { kubernetesContract, UnservedInServedGroup, UnservedKind } from "./contract.ts"

let namespaces = 0

kubernetesContract("Kubernetes contract: in-memory", () => ({
  layer: KubernetesInMemory.layer({ unserved: [UnservedKind, UnservedInServedGroup] }),
  // Namespaces need not exist in memory: a unique name is enough to keep tests apart in the shared store.
  freshNamespace: Effect.sync(() => `contract-${++namespaces}`),
  eventually: "2 seconds"
}))
