import { Clock, Duration, Effect, HashMap, Layer, Option, Ref, Schema } from "effect"
import { type ObjectMeta, type ObjectRef, refKey, refOf } from "../domain/ObjectMeta.ts"
import { Kubernetes, type ListOptions } from "../services/Kubernetes.ts"
import type { ResourceKind } from "../services/ResourceKind.ts"
import { type Informer, kindKeyOf } from "./Informer.ts"

type AnyObject = { readonly metadata: ObjectMeta }
type KindKey = { readonly group: string; readonly version: string; readonly plural: string }

export interface CachedKubernetesOptions {
  /** How long an object this client wrote shadows an informer that has not caught up. Default 1 minute. */
  readonly writeShadow?: Duration.DurationInput
}

/**
 * Serves `get` from a synced informer's store when one watches the kind and the object's namespace, so a
 * converged object costs no API call at all, and `list` of a namespace (or of all) when an unselected informer
 * holds all of it; everything else goes to the apiserver.
 *
 * Reads may lag the apiserver by a watch event, as controller-runtime's cached client does, with one
 * exception: what this client itself wrote is read back until the informer's watch has reached that write's
 * resourceVersion (read-your-writes); from then on the store answers, deletions included. Without that, a reconcile queued again while the previous one ran would start from
 * the store as it was before that run's own writes and redo them. Writes stay guarded by resourceVersion,
 * so acting on a stale read ends in a Conflict and a retry, never a lost update.
 * A label-selected informer only knows the objects that carry its labels: a miss there asks the apiserver.
 */
export const make = (
  underlying: Kubernetes,
  informers: ReadonlyArray<Informer<AnyObject>>,
  options: CachedKubernetesOptions = {}
): Effect.Effect<Kubernetes> => Effect.map(makeObservable(underlying, informers, options), (c) => c.kubernetes)

/** `make`, and how many written objects it keeps to read back (tests: the shadow must not grow). */
export const makeObservable = (
  underlying: Kubernetes,
  informers: ReadonlyArray<Informer<AnyObject>>,
  options: CachedKubernetesOptions = {}
): Effect.Effect<{ readonly kubernetes: Kubernetes; readonly shadowed: Effect.Effect<number> }> =>
  Effect.gen(function*() {
    const shadowMillis = Duration.toMillis(options.writeShadow ?? Duration.minutes(1))
    const byKind = new Map<string, Array<Informer<AnyObject>>>()
    for (const informer of informers) {
      const key = kindKeyOf(informer.kind)
      byKind.set(key, [...(byKind.get(key) ?? []), informer])
    }
    const written = yield* Ref.make(HashMap.empty<string, Written>())
    const writtenKey = (kind: KindKey, ref: ObjectRef) => `${kindKeyOf(kind)} ${refKey(ref)}`

    const covering = (kind: KindKey, ref: ObjectRef) =>
      (byKind.get(kindKeyOf(kind)) ?? []).filter((i) => i.namespace === undefined || i.namespace === ref.namespace)

    /** A synced informer that holds every object of the kind in the namespace (all namespaces when undefined). */
    const wholeStore = (kind: KindKey, namespace: string | undefined) =>
      Effect.findFirst(
        (byKind.get(kindKeyOf(kind)) ?? []).filter((i) =>
          i.labelSelector === undefined && (i.namespace === undefined || i.namespace === namespace)
        ),
        (informer) => informer.synced
      )

    /**
     * Whether the informer's watch has reached the write: its store then shows that write or whatever
     * came after, a deletion or a lost label included, so the write no longer needs reading back.
     */
    const hasSeen = (informer: Informer<AnyObject>, entry: Written) =>
      Effect.map(
        informer.resourceVersion,
        (seen) => Option.isSome(seen) && isAtLeast(seen.value, entry.object.metadata.resourceVersion)
      )

    /**
     * Drops what every covering informer has seen, and what is older than the window. It runs on every read and
     * write, so it reads each informer's version once and then works in plain loops (a burst keeps dozens of
     * writes in flight).
     */
    const prune = Effect.gen(function*() {
      const current = yield* Ref.get(written)
      if (HashMap.size(current) === 0) return
      const now = yield* Clock.currentTimeMillis
      const versions = new Map<Informer<AnyObject>, string | undefined>()
      for (const informer of informers) versions.set(informer, Option.getOrUndefined(yield* informer.resourceVersion))
      const done: Array<string> = []
      for (const [key, entry] of current) {
        const seen = now - entry.at > shadowMillis ||
          covering(entry.kind, refOf(entry.object.metadata)).every((informer) =>
            isAtLeast(versions.get(informer), entry.object.metadata.resourceVersion)
          )
        if (seen) done.push(key)
      }
      if (done.length > 0) yield* Ref.update(written, (w) => HashMap.removeMany(w, done))
    })

    const remember = (kind: KindKey) => (object: AnyObject): Effect.Effect<void> =>
      byKind.has(kindKeyOf(kind))
        ? Effect.flatMap(Clock.currentTimeMillis, (at) =>
          Ref.update(written, (w) => HashMap.set(w, writtenKey(kind, refOf(object.metadata)), { kind, object, at }))).pipe(
            Effect.andThen(prune)
          )
        : Effect.void

    /** The store's object, unless this client wrote one the informer has not seen yet. */
    const freshest = (kind: KindKey, ref: ObjectRef, informer: Informer<AnyObject>) =>
      Effect.gen(function*() {
        const cached = yield* informer.get(ref)
        const key = writtenKey(kind, ref)
        const mine = HashMap.get(yield* Ref.get(written), key)
        if (Option.isNone(mine)) return cached
        const now = yield* Clock.currentTimeMillis
        if ((yield* hasSeen(informer, mine.value)) || now - mine.value.at > shadowMillis) return cached
        return Option.some(mine.value.object)
      })

    const kubernetes: Kubernetes = {
      ...underlying,
      get: <A extends AnyObject, I>(kind: ResourceKind<A, I>, ref: ObjectRef) =>
        Effect.gen(function*() {
          yield* prune
          const is = Schema.is(kind.schema)
          let authoritative = false
          for (const informer of covering(kind, ref)) {
            if (!(yield* informer.synced)) continue
            const cached = yield* freshest(kind, ref, informer)
            // The store holds objects decoded with this kind's schema; the guard only narrows the type.
            if (Option.isSome(cached) && is(cached.value)) return Option.some(cached.value)
            if (informer.labelSelector === undefined) authoritative = true
          }
          if (authoritative) return Option.none<A>()
          return yield* underlying.get(kind, ref)
        }),
      list: <A extends AnyObject, I>(kind: ResourceKind<A, I>, options?: ListOptions) =>
        Effect.gen(function*() {
          yield* prune
          const namespace = options?.namespace
          const informer = options?.labelSelector === undefined ? yield* wholeStore(kind, namespace) : Option.none()
          if (Option.isNone(informer)) return yield* underlying.list(kind, options)
          const is = Schema.is(kind.schema)
          const stored = (yield* informer.value.list).filter((o) =>
            namespace === undefined || o.metadata.namespace === namespace
          )
          const keys = new Set(stored.map((o) => refKey(refOf(o.metadata))))
          // Read-your-writes as for get: each stored object as this client last wrote it, and what it created since.
          const items: Array<A> = []
          for (const object of stored) {
            const freshestObject = yield* freshest(kind, refOf(object.metadata), informer.value)
            if (Option.isSome(freshestObject) && is(freshestObject.value)) items.push(freshestObject.value)
          }
          for (const entry of HashMap.values(yield* Ref.get(written))) {
            const ref = refOf(entry.object.metadata)
            if (kindKeyOf(entry.kind) !== kindKeyOf(kind) || keys.has(refKey(ref))) continue
            if (namespace !== undefined && ref.namespace !== namespace) continue
            const created = yield* freshest(kind, ref, informer.value)
            if (Option.isSome(created) && is(created.value)) items.push(created.value)
          }
          const resourceVersion = Option.getOrElse(yield* informer.value.resourceVersion, () => "")
          return { items, resourceVersion }
        }),
      create: (kind, object) => Effect.tap(underlying.create(kind, object), remember(kind)),
      replace: (kind, object, opts) => Effect.tap(underlying.replace(kind, object, opts), remember(kind)),
      patch: (kind, ref, patch, opts) => Effect.tap(underlying.patch(kind, ref, patch, opts), remember(kind)),
      delete: (kind, ref, opts) =>
        Effect.tap(underlying.delete(kind, ref, opts), () => Ref.update(written, HashMap.remove(writtenKey(kind, ref))))
    }
    return { kubernetes, shadowed: Effect.map(Ref.get(written), HashMap.size) }
  })

/** An object this client wrote, and when. */
interface Written {
  readonly kind: KindKey
  readonly object: AnyObject
  readonly at: number
}

/**
 * Whether resourceVersion `a` is at least `b`. The apiserver's versions are etcd revisions, comparable as
 * integers (KEP-5504 makes that official); anything else only compares equal.
 */
const isAtLeast = (a: string | undefined, b: string | undefined): boolean => {
  if (a === undefined || b === undefined) return false
  if (!(/^\d+$/.test(a) && /^\d+$/.test(b))) return a === b
  // Decimal strings without leading zeros: the longer is larger, and equal lengths compare as text (no BigInt).
  return a.length !== b.length ? a.length > b.length : a >= b
}

/** Wraps the `Kubernetes` below it; the informers must use that same, uncached service. */
export const layer = (
  informers: ReadonlyArray<Informer<AnyObject>>,
  options?: CachedKubernetesOptions
): Layer.Layer<Kubernetes, never, Kubernetes> =>
  Layer.effect(Kubernetes, Effect.flatMap(Kubernetes, (underlying) => make(underlying, informers, options)))
