import { Effect, Layer, Option, Schema } from "effect"
import type { ObjectMeta, ObjectRef } from "../domain/ObjectMeta.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { ResourceKind } from "../services/ResourceKind.ts"
import { type Informer, kindKeyOf } from "./Informer.ts"

type AnyObject = { readonly metadata: ObjectMeta }

/**
 * Serves `get` from a synced informer's store when one watches the kind and the object's namespace, so a
 * converged object costs no API call at all; everything else goes to the apiserver.
 *
 * Reads may lag the apiserver by a watch event, as controller-runtime's cached client does; writes stay
 * guarded by resourceVersion, so acting on a stale read ends in a Conflict and a retry, never a lost update.
 * A label-selected informer only knows the objects that carry its labels: a miss there asks the apiserver.
 */
export const make = (underlying: Kubernetes, informers: ReadonlyArray<Informer<AnyObject>>): Kubernetes => {
  const byKind = new Map<string, Array<Informer<AnyObject>>>()
  for (const informer of informers) {
    const key = kindKeyOf(informer.kind)
    byKind.set(key, [...(byKind.get(key) ?? []), informer])
  }

  const covering = (kind: { readonly group: string; readonly version: string; readonly plural: string }, ref: ObjectRef) =>
    (byKind.get(kindKeyOf(kind)) ?? []).filter((i) => i.namespace === undefined || i.namespace === ref.namespace)

  return {
    ...underlying,
    get: <A extends AnyObject, I>(kind: ResourceKind<A, I>, ref: ObjectRef) =>
      Effect.gen(function*() {
        const is = Schema.is(kind.schema)
        let authoritative = false
        for (const informer of covering(kind, ref)) {
          if (!(yield* informer.synced)) continue
          const cached = yield* informer.get(ref)
          // The store holds objects decoded with this kind's schema; the guard only narrows the type.
          if (Option.isSome(cached) && is(cached.value)) return Option.some(cached.value)
          if (informer.labelSelector === undefined) authoritative = true
        }
        if (authoritative) return Option.none<A>()
        return yield* underlying.get(kind, ref)
      })
  }
}

/** Wraps the `Kubernetes` below it; the informers must use that same, uncached service. */
export const layer = (informers: ReadonlyArray<Informer<AnyObject>>): Layer.Layer<Kubernetes, never, Kubernetes> =>
  Layer.effect(Kubernetes, Effect.map(Kubernetes, (underlying) => make(underlying, informers)))
