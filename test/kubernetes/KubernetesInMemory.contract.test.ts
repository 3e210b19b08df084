import { Effect } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { kubernetesContract } from "./contract.ts"

let namespaces = 0

kubernetesContract("Kubernetes contract: in-memory", () => ({
  layer: KubernetesInMemory.layer(),
  // Namespaces need not exist in memory: a unique name is enough to keep tests apart in the shared store.
  freshNamespace: Effect.sync(() => `contract-${++namespaces}`),
  eventually: "2 seconds"
}))
