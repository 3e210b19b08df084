/**
 * An in-memory `Kubernetes` that behaves like kube-apiserver plus kube-controller-manager's garbage
 * collector, for tests and local runs: objects are stored encoded (unknown fields survive), with one global
 * resourceVersion, server-owned metadata, optimistic concurrency, JSON merge patch, the status subresource,
 * finalizers, ownerReference garbage collection, label selectors and watches with a bounded history. The
 * same behaviour is pinned against a real apiserver by test/kubernetes/contract.ts.
 *
 * Known differences from a cluster, on purpose:
 * - namespaces need not exist (a cluster answers NotFound for objects in a missing namespace);
 * - no CRD OpenAPI validation, defaulting or pruning: programs must cope with whatever users store;
 * - garbage collection happens within the write that orphans an object, not a moment later;
 * - no managedFields, server-side apply, dry run, admission webhooks or RBAC.
 *
 * A watch without resourceVersion starts from now, as the `Kubernetes` contract says (the raw HTTP watch
 * would begin with synthetic ADDED events).
 */
import { randomUUID } from "node:crypto"
import { Context, Effect, Either, Layer, Option, PubSub, Random, Schema, Stream } from "effect"
import { parseFailurePaths } from "./parseFailurePaths.ts"
import type { ObjectMeta, ObjectRef } from "../domain/ObjectMeta.ts"
import type { Kubernetes as KubernetesService, WatchEvent, WatchOptions } from "../services/Kubernetes.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import {
  type KubernetesError,
  KubernetesGone,
  KubernetesInvalid
} from "../services/KubernetesError.ts"
import type { ResourceKind } from "../services/ResourceKind.ts"
import { type Fault, makeFaults, type RateFault, type Verb, verbs, writeVerbs } from "./kubernetesInMemory/faults.ts"
import * as LabelSelector from "./kubernetesInMemory/labelSelector.ts"
import { type KindInfo, kindKeyOf, makeStore, type RawObject, type StoredEvent } from "./kubernetesInMemory/store.ts"

export type { Fault, RateFault, Verb } from "./kubernetesInMemory/faults.ts"
export type { KindInfo, RawObject } from "./kubernetesInMemory/store.ts"

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
 * The test's side of the in-memory apiserver: faults, call counts, and out-of-band access that acts like a
 * user or another controller (no faults, not counted, no decoding, unknown fields kept).
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
  /**
   * Ends every open watch: normally without `error`, as the apiserver does when a watch times out, or
   * failing with `error`, as a restart or a dropped connection would.
   */
  readonly endWatches: (error?: KubernetesError) => Effect.Effect<void>
}

export const KubernetesControl = Context.GenericTag<KubernetesControl>("image-repository-operator/KubernetesControl")

export interface Options {
  /** Events kept for watches to replay; a watch from an older resourceVersion fails with Gone. */
  readonly historyLimit?: number
}

/** What live watches receive: committed events, and the control's orders to end. */
type Published =
  | { readonly _tag: "Event"; readonly event: StoredEvent }
  | { readonly _tag: "Fail"; readonly error: KubernetesError }
  | { readonly _tag: "End" }

/** RFC 3339 with seconds, as the apiserver writes timestamps. */
const rfc3339 = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

const emptyCounts = (): Record<Verb, number> => ({
  get: 0,
  list: 0,
  create: 0,
  replace: 0,
  patch: 0,
  delete: 0,
  watch: 0
})

const labelsOf = (object: RawObject): LabelSelector.Labels => {
  const meta = object["metadata"]
  if (typeof meta !== "object" || meta === null) return undefined
  const labels = (meta as { readonly labels?: unknown }).labels
  return typeof labels === "object" && labels !== null ? (labels as LabelSelector.Labels) : undefined
}

const namespaceOf = (object: RawObject): string | undefined => {
  const meta = object["metadata"]
  if (typeof meta !== "object" || meta === null) return undefined
  const namespace = (meta as { readonly namespace?: unknown }).namespace
  return typeof namespace === "string" ? namespace : undefined
}

const atVersion = (object: RawObject, resourceVersion: number): RawObject => ({
  ...object,
  metadata: { ...(object["metadata"] as object | undefined), resourceVersion: String(resourceVersion) }
})


const nameOf = (object: { readonly metadata: { readonly name: string } }): string => object.metadata.name

export const makeWith = (options: Options = {}): Effect.Effect<{
  readonly kubernetes: KubernetesService
  readonly control: KubernetesControl
}> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const store = makeStore({
      historyLimit: options.historyLimit ?? 1000,
      now: () => rfc3339(clock.unsafeCurrentTimeMillis()),
      newUid: () => randomUUID()
    })
    const faults = makeFaults()
    const lock = yield* Effect.makeSemaphore(1)
    const published = yield* PubSub.unbounded<Published>()
    let counts: Record<Verb, number> = emptyCounts()
    let countsByKind: Record<string, Record<Verb, number>> = {}

    /** Runs one store operation atomically and hands its events to the live watches in order. */
    const mutate = <A>(operation: () => A): Effect.Effect<A> =>
      lock.withPermits(1)(
        Effect.suspend(() => {
          const result = operation()
          const events = store.drainEvents()
          return PubSub.publishAll(published, events.map((event): Published => ({ _tag: "Event", event }))).pipe(
            Effect.as(result)
          )
        })
      )

    const fromEither = <A>(either: Either.Either<A, KubernetesError>): Effect.Effect<A, KubernetesError> =>
      Either.isLeft(either) ? Effect.fail(either.left) : Effect.succeed(either.right)

    /** Counting, fault injection and the span every request gets. */
    const request = <A, R>(
      verb: Verb,
      kind: KindInfo,
      target: { readonly namespace?: string | undefined; readonly name?: string | undefined },
      body: Effect.Effect<A, KubernetesError, R>
    ): Effect.Effect<A, KubernetesError, R> =>
      Effect.gen(function*() {
        counts[verb]++
        const byKind = countsByKind[kind.kind] ?? emptyCounts()
        byKind[verb]++
        countsByKind[kind.kind] = byKind
        const drawn = yield* Random.next
        const injected = faults.decide(verb, kind.kind, target.name ?? "", () => drawn)
        if (injected !== undefined && !injected.afterApply) return yield* Effect.fail(injected.error)
        const result = yield* body
        if (injected !== undefined) return yield* Effect.fail(injected.error)
        return result
      }).pipe(
        Effect.withSpan(`Kubernetes.${verb}`, {
          attributes: {
            "kubernetes.kind": kind.kind,
            ...(target.namespace === undefined ? {} : { "kubernetes.namespace": target.namespace }),
            ...(target.name === undefined ? {} : { "kubernetes.name": target.name })
          }
        })
      )

    const decode = <A extends { readonly metadata: ObjectMeta }, I>(kind: ResourceKind<A, I>) =>
    (object: RawObject): Effect.Effect<A, KubernetesError> =>
      Schema.decodeUnknown(kind.schema)(object).pipe(
        Effect.mapError((e) =>
          new KubernetesInvalid({
            kind: kind.kind,
            name: String((object["metadata"] as { readonly name?: unknown } | undefined)?.name ?? ""),
            detail: `stored object does not decode: ${parseFailurePaths(e)}`
          })
        )
      )

    const encode = <A extends { readonly metadata: ObjectMeta }, I>(kind: ResourceKind<A, I>, object: A) =>
      Schema.encode(kind.schema)(object).pipe(
        Effect.mapError((e) =>
          new KubernetesInvalid({ kind: kind.kind, name: nameOf(object), detail: `does not encode: ${parseFailurePaths(e)}` })
        ),
        Effect.flatMap((encoded) =>
          typeof encoded === "object" && encoded !== null
            ? Effect.succeed(encoded as RawObject)
            : Effect.fail(new KubernetesInvalid({ kind: kind.kind, name: nameOf(object), detail: "not an object" }))
        )
      )

    /** The patched object must still be one of its kind, as the apiserver's schema demands. */
    const admitAs = <A extends { readonly metadata: ObjectMeta }, I>(kind: ResourceKind<A, I>) => {
      const check = Schema.decodeUnknownEither(kind.schema)
      return (object: RawObject): string | undefined =>
        Either.match(check(object), { onLeft: (e) => `the patched object is malformed: ${parseFailurePaths(e)}`, onRight: () => undefined })
    }

    const selectorOf = (kind: KindInfo, selector: string | undefined) => {
      const parsed = LabelSelector.parse(selector)
      return "error" in parsed
        ? Effect.fail(new KubernetesInvalid({ kind: kind.kind, name: "", detail: parsed.error }))
        : Effect.succeed(parsed.selector)
    }

    const watch = <A extends { readonly metadata: ObjectMeta }, I>(
      kind: ResourceKind<A, I>,
      watchOptions?: WatchOptions
    ): Stream.Stream<WatchEvent<A>, KubernetesError> =>
      Stream.unwrapScoped(
        request(
          "watch",
          kind,
          { namespace: watchOptions?.namespace },
          Effect.gen(function*() {
            const selector = yield* selectorOf(kind, watchOptions?.labelSelector)
            const from = watchOptions?.resourceVersion
            const after = from === undefined || from === "" ? undefined : Number(from)
            if (after !== undefined && (!Number.isInteger(after) || after < 0)) {
              return yield* Effect.fail(
                new KubernetesInvalid({ kind: kind.kind, name: "", detail: `invalid resourceVersion "${from}"` })
              )
            }
            // Subscribing and reading the history under the write lock: nothing is missed or seen twice.
            const { subscription, replay } = yield* lock.withPermits(1)(
              Effect.gen(function*() {
                const subscription = yield* PubSub.subscribe(published)
                const replay = after === undefined ? [] : store.eventsAfter(after)
                return { subscription, replay }
              })
            )
            if (replay === "gone") {
              return yield* Effect.fail(
                new KubernetesGone({ detail: `too old resource version: ${from} (${store.resourceVersion()})` })
              )
            }
            const kindKey = kindKeyOf(kind)
            const toWatchEvent = (
              event: StoredEvent
            ): { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: RawObject } | undefined => {
              if (event.kindKey !== kindKey) return undefined
              const inScope = (o: RawObject | undefined): boolean =>
                o !== undefined &&
                (watchOptions?.namespace === undefined || namespaceOf(o) === watchOptions.namespace) &&
                LabelSelector.matches(selector, labelsOf(o))
              const now = inScope(event.object)
              if (event.type !== "MODIFIED") return now ? { type: event.type, object: event.object } : undefined
              const before = inScope(event.previous)
              // Moving in or out of a selector looks like creation or deletion to that watch; like the
              // apiserver's watch cache, the deletion carries the last state the watch could see.
              if (now && before) return { type: "MODIFIED", object: event.object }
              if (now) return { type: "ADDED", object: event.object }
              if (before && event.previous !== undefined) {
                return { type: "DELETED", object: atVersion(event.previous, event.resourceVersion) }
              }
              return undefined
            }
            const live = Stream.fromQueue(subscription).pipe(
              Stream.takeWhile((message): message is Exclude<Published, { readonly _tag: "End" }> => message._tag !== "End"),
              Stream.mapEffect((message) => message._tag === "Event" ? Effect.succeed(message.event) : Effect.fail(message.error))
            )
            return Stream.fromIterable(replay).pipe(
              Stream.concat(live),
              Stream.filterMap((event) => Option.fromNullable(toWatchEvent(event))),
              Stream.mapEffect((event) =>
                Effect.map(
                  decode(kind)(structuredClone(event.object)),
                  (object): WatchEvent<A> => ({ type: event.type, object })
                )
              )
            )
          })
        )
      )

    const kubernetes: KubernetesService = {
      get: (kind, ref) =>
        request(
          "get",
          kind,
          ref,
          Effect.suspend(() => {
            const object = store.get(kind, ref)
            return object === undefined
              ? Effect.succeed(Option.none())
              : Effect.map(decode(kind)(object), Option.some)
          })
        ),

      list: (kind, listOptions) =>
        request(
          "list",
          kind,
          { namespace: listOptions?.namespace },
          Effect.gen(function*() {
            const selector = yield* selectorOf(kind, listOptions?.labelSelector)
            const { objects, resourceVersion } = yield* lock.withPermits(1)(
              Effect.sync(() => ({ objects: store.list(kind, listOptions?.namespace), resourceVersion: store.resourceVersion() }))
            )
            const items = yield* Effect.forEach(
              objects.filter((o) => LabelSelector.matches(selector, labelsOf(o))),
              decode(kind)
            )
            return { items, resourceVersion: String(resourceVersion) }
          })
        ),

      create: (kind, object) =>
        request(
          "create",
          kind,
          object.metadata,
          Effect.gen(function*() {
            const encoded = yield* encode(kind, object)
            const stored = yield* Effect.flatMap(mutate(() => store.create(kind, encoded)), fromEither)
            return yield* decode(kind)(stored)
          })
        ),

      replace: (kind, object, patchOptions) =>
        request(
          "replace",
          kind,
          object.metadata,
          Effect.gen(function*() {
            const encoded = yield* encode(kind, object)
            const stored = yield* Effect.flatMap(
              mutate(() => store.replace(kind, encoded, patchOptions?.subresource)),
              fromEither
            )
            return yield* decode(kind)(stored)
          })
        ),

      patch: (kind, ref, patch, patchOptions) =>
        request(
          "patch",
          kind,
          ref,
          Effect.gen(function*() {
            const stored = yield* Effect.flatMap(
              mutate(() => store.patch(kind, ref, patch, patchOptions?.subresource, admitAs(kind))),
              fromEither
            )
            return yield* decode(kind)(stored)
          })
        ),

      delete: (kind, ref, deleteOptions) =>
        request(
          "delete",
          kind,
          ref,
          Effect.flatMap(mutate(() => store.delete(kind, ref, deleteOptions?.preconditions)), fromEither)
        ),

      watch
    }

    const control: KubernetesControl = {
      failNext: (count, fault = {}) => Effect.sync(() => faults.failNext(count, fault)),
      failRate: (rate, fault = {}) => Effect.sync(() => faults.failRate(rate, fault)),
      clearFaults: Effect.sync(() => faults.clear()),
      calls: Effect.sync(() => {
        const total = verbs.reduce((sum, verb) => sum + counts[verb], 0)
        const writes = writeVerbs.reduce((sum, verb) => sum + counts[verb], 0)
        const byKind: Record<string, Record<Verb, number>> = {}
        for (const [kind, c] of Object.entries(countsByKind)) byKind[kind] = { ...c }
        return { total, writes, byVerb: { ...counts }, byKind }
      }),
      resetCalls: Effect.sync(() => {
        counts = emptyCounts()
        countsByKind = {}
      }),
      snapshot: lock.withPermits(1)(Effect.sync(() => store.all())),
      resourceVersion: Effect.sync(() => String(store.resourceVersion())),
      getRaw: (kind, ref) => Effect.sync(() => Option.fromNullable(store.get(kind, ref))),
      put: (kind, object) => Effect.flatMap(mutate(() => store.put(kind, object)), fromEither),
      patch: (kind, ref, patch, patchOptions) =>
        Effect.flatMap(mutate(() => store.patch(kind, ref, patch, patchOptions?.subresource)), fromEither),
      delete: (kind, ref) => Effect.flatMap(mutate(() => store.delete(kind, ref, undefined)), fromEither),
      remove: (kind, ref) => mutate(() => store.remove(kind, ref)),
      endWatches: (error) => PubSub.publish(published, error === undefined ? { _tag: "End" } : { _tag: "Fail", error })
    }

    return { kubernetes, control }
  })

/** A fresh, empty in-memory apiserver. */
export const make = makeWith()

/** Provides `Kubernetes` and the `KubernetesControl` of the same store. */
export const layerWith = (options: Options): Layer.Layer<Kubernetes | KubernetesControl> =>
  Layer.effectContext(
    Effect.map(
      makeWith(options),
      ({ control, kubernetes }) => Context.make(Kubernetes, kubernetes).pipe(Context.add(KubernetesControl, control))
    )
  )

/** A fresh, empty in-memory apiserver with the default history. */
export const layer: Layer.Layer<Kubernetes | KubernetesControl> = layerWith({})
