import { Effect, Schema } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"

/**
 * What the property tests do to the world besides users' edits: the Quay plan changes, and Quay and the apiserver
 * fail for a while (lost responses included). Spread into a scenario's action union, one member each.
 */
const Count = Schema.Int.pipe(Schema.between(1, 3))

export const worldFaults = [
  Schema.TaggedStruct("SetPlan", { plan: Schema.Literal("free", "paid") }),
  Schema.TaggedStruct("QuayFaults", { kind: Schema.Literal("5xx", "429", "timeout"), next: Count }),
  Schema.TaggedStruct("KubernetesFaults", { next: Count, lostResponse: Schema.Boolean })
] as const

export type WorldFault = typeof worldFaults[number]["Type"]

/** Applies one: the fault plans are cleared by the tests before they converge. */
export const injectWorldFault = (fault: WorldFault) =>
  Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const quay = yield* QuayInMemory.QuayControl
    switch (fault._tag) {
      case "SetPlan":
        return yield* quay.setPlan(fault.plan)
      case "QuayFaults":
        return yield* quay.injectFaults({ kind: fault.kind, next: fault.next })
      case "KubernetesFaults":
        return yield* kube.failNext(fault.next, {
          verbs: ["get", "list", "create", "patch", "delete"],
          afterApply: fault.lostResponse
        })
    }
  })
