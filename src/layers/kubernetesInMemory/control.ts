/**
 * The test's side of the in-memory apiserver: faults, call counts, and out-of-band access that acts like a
 * user or another controller.
 */
import { Context, type Effect, type Option } from "effect"
import type { ObjectRef } from "../../domain/ObjectMeta.ts"
import type { KubernetesError } from "../../services/KubernetesError.ts"
import { type Fault, type RateFault, type Verb, verbs, writeVerbs } from "./faults.ts"
import type { KindInfo, RawObject } from "./rawObject.ts"

/** How many calls the in-memory apiserver answered (failed ones included), by verb and by kind. */
export interface CallCounts {
  readonly total: number
  /** create + replace + patch + delete. */
  readonly writes: number
  readonly byVerb: Readonly<Record<Verb, number>>
  /** Keyed by kind name (`ImageRepository`, `Secret`, ...). */
  readonly byKind: Readonly<Record<string, Readonly<Record<Verb, number>>>>
}

/**
 * Out-of-band access (no faults, not counted, no decoding, unknown fields kept) beside the fault plan and
 * the call counts.
 */
export interface KubernetesControl {
  /** The next `count` matching calls fail. */
  readonly failNext: (count: number, fault?: Fault) => Effect.Effect<void>
  /** Each matching call fails with probability `rate` (0..1) until cleared; 0 turns it off. */
  readonly failRate: (rate: number, fault?: RateFault) => Effect.Effect<void>
  readonly clearFaults: Effect.Effect<void>
  readonly calls: Effect.Effect<CallCounts>
  readonly resetCalls: Effect.Effect<void>
  /** Every stored object, encoded, ordered by kind then namespace/name. */
  readonly snapshot: Effect.Effect<ReadonlyArray<RawObject>>
  /** The current global resourceVersion. */
  readonly resourceVersion: Effect.Effect<string>
  readonly getRaw: (kind: KindInfo, ref: ObjectRef) => Effect.Effect<Option.Option<RawObject>>
  /**
   * Creates or overwrites an object as given, status included, like an admin's edit: only uid,
   * creationTimestamp, generation and resourceVersion are the server's. No validation, and no garbage
   * collection of an object whose owners do not exist (writes through `Kubernetes` get both), so tests can
   * stage any world, made-up owner uids included.
   */
  readonly put: (kind: KindInfo, object: RawObject) => Effect.Effect<RawObject, KubernetesError>
  /** A user's merge patch (main resource, or status with `{ subresource: "status" }`). */
  readonly patch: (
    kind: KindInfo,
    ref: ObjectRef,
    patch: unknown,
    options?: { readonly subresource?: "status" }
  ) => Effect.Effect<RawObject, KubernetesError>
  /** A user's delete: finalizers hold the object, garbage collection follows. */
  readonly delete: (kind: KindInfo, ref: ObjectRef) => Effect.Effect<void, KubernetesError>
  /** The object vanishes at once, finalizers or not (etcd surgery); garbage collection still follows. */
  readonly remove: (kind: KindInfo, ref: ObjectRef) => Effect.Effect<void>
  /** Installs (served) or removes (not served) a kind's API, as installing or deleting its CRD would. */
  readonly setServed: (kind: Pick<KindInfo, "group" | "version" | "plural">, served: boolean) => Effect.Effect<void>
  /**
   * Ends every open watch: normally without `error`, as the apiserver does when a watch times out, or
   * failing with `error`, as a restart or a dropped connection would.
   */
  readonly endWatches: (error?: KubernetesError) => Effect.Effect<void>
}

export const KubernetesControl = Context.GenericTag<KubernetesControl>("image-repository-operator/KubernetesControl")

/** Counts calls by verb and by kind; synchronous, like the store. */
export interface CallCounter {
  readonly count: (verb: Verb, kind: string) => void
  readonly counts: () => CallCounts
  readonly reset: () => void
}

const emptyCounts = (): Record<Verb, number> => ({
  get: 0,
  list: 0,
  create: 0,
  replace: 0,
  patch: 0,
  delete: 0,
  watch: 0
})

export const makeCallCounter = (): CallCounter => {
  let byVerb: Record<Verb, number> = emptyCounts()
  let byKind: Record<string, Record<Verb, number>> = {}
  return {
    count: (verb, kind) => {
      byVerb[verb]++
      const ofKind = byKind[kind] ?? emptyCounts()
      ofKind[verb]++
      byKind[kind] = ofKind
    },
    counts: () => {
      const copy: Record<string, Record<Verb, number>> = {}
      for (const [kind, c] of Object.entries(byKind)) copy[kind] = { ...c }
      return {
        total: verbs.reduce((sum, verb) => sum + byVerb[verb], 0),
        writes: writeVerbs.reduce((sum, verb) => sum + byVerb[verb], 0),
        byVerb: { ...byVerb },
        byKind: copy
      }
    },
    reset: () => {
      byVerb = emptyCounts()
      byKind = {}
    }
  }
}
