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
import { Context, Effect, Either, Layer, Option, PubSub, Random, Stream } from "effect"
import type { Kubernetes as KubernetesService } from "../services/Kubernetes.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { type KubernetesError, KubernetesNotFound } from "../services/KubernetesError.ts"
import { admitAs, decode, encode } from "./kubernetesInMemory/codec.ts"
import { KubernetesControl, makeCallCounter } from "./kubernetesInMemory/control.ts"
import { makeFaults, type Verb } from "./kubernetesInMemory/faults.ts"
import * as LabelSelector from "./kubernetesInMemory/labelSelector.ts"
import { type KindInfo, kindKeyOf, labelsOf } from "./kubernetesInMemory/rawObject.ts"
import { makeStore } from "./kubernetesInMemory/store.ts"
import { openWatch, parseSelector, type Published } from "./kubernetesInMemory/watch.ts"

export { type CallCounts, KubernetesControl } from "./kubernetesInMemory/control.ts"
export type { Fault, RateFault, Verb } from "./kubernetesInMemory/faults.ts"
export type { KindInfo, RawObject } from "./kubernetesInMemory/rawObject.ts"

export interface Options {
  /** Events kept for watches to replay; a watch from an older resourceVersion fails with Gone. */
  readonly historyLimit?: number
  /**
   * Kinds the apiserver does not serve (no CRD): discovery says so, `get` finds nothing and every other request
   * is NotFound, as on a cluster. Every other kind is served. `KubernetesControl.setServed` changes it later.
   */
  readonly unserved?: ReadonlyArray<Pick<KindInfo, "group" | "version" | "plural">>
}

/** RFC 3339 with seconds, as the apiserver writes timestamps. */
const rfc3339 = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

const fromEither = <A>(either: Either.Either<A, KubernetesError>): Effect.Effect<A, KubernetesError> =>
  Either.isLeft(either) ? Effect.fail(either.left) : Effect.succeed(either.right)

/** A fresh, empty in-memory apiserver: the service, and the test's control of the same store. */
export const make = (options: Options = {}): Effect.Effect<{
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
    const calls = makeCallCounter()
    const lock = yield* Effect.makeSemaphore(1)
    const published = yield* PubSub.unbounded<Published>()
    const unserved = new Set((options.unserved ?? []).map(kindKeyOf))
    const isServed = (kind: KindInfo) => !unserved.has(kindKeyOf(kind))

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

    /** Counting, fault injection and the span every request gets. */
    const request = <A, R>(
      verb: Verb,
      kind: KindInfo,
      target: { readonly namespace?: string | undefined; readonly name?: string | undefined },
      body: Effect.Effect<A, KubernetesError, R>
    ): Effect.Effect<A, KubernetesError, R> =>
      Effect.gen(function*() {
        calls.count(verb, kind.kind)
        // A get of a kind not served finds nothing (below), as the live layer reads a 404.
        if (!isServed(kind) && verb !== "get") {
          return yield* Effect.fail(
            new KubernetesNotFound({
              kind: kind.kind,
              ...(target.namespace === undefined ? {} : { namespace: target.namespace }),
              name: target.name ?? ""
            })
          )
        }
        const drawn = yield* Random.next
        const injected = faults.decide(verb, kind.kind, target.name ?? "", () => drawn)
        if (injected !== undefined && !injected.afterApply) return yield* Effect.fail(injected.error)
        const result = yield* body
        if (injected !== undefined) return yield* Effect.fail(injected.error)
        return result
      }).pipe(
        Effect.withSpan(`Kubernetes.${verb}`, { captureStackTrace: false,
          attributes: {
            "kubernetes.kind": kind.kind,
            ...(target.namespace === undefined ? {} : { "kubernetes.namespace": target.namespace }),
            ...(target.name === undefined ? {} : { "kubernetes.name": target.name })
          }
        })
      )

    const kubernetes: KubernetesService = {
      get: (kind, ref) =>
        request(
          "get",
          kind,
          ref,
          Effect.suspend(() => {
            if (!isServed(kind)) return Effect.succeed(Option.none())
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
            const selector = yield* parseSelector(kind, listOptions?.labelSelector)
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

      watch: (kind, watchOptions) =>
        Stream.unwrapScoped(
          request("watch", kind, { namespace: watchOptions?.namespace }, openWatch({ store, published, lock }, kind, watchOptions))
        ),

      serves: (kind) => Effect.sync(() => !unserved.has(kindKeyOf(kind))).pipe(Effect.withSpan("Kubernetes.serves", { captureStackTrace: false }))
    }

    const control: KubernetesControl = {
      failNext: (count, fault = {}) => Effect.sync(() => faults.failNext(count, fault)),
      failRate: (rate, fault = {}) => Effect.sync(() => faults.failRate(rate, fault)),
      clearFaults: Effect.sync(() => faults.clear()),
      calls: Effect.sync(calls.counts),
      resetCalls: Effect.sync(calls.reset),
      snapshot: lock.withPermits(1)(Effect.sync(() => store.all())),
      resourceVersion: Effect.sync(() => String(store.resourceVersion())),
      getRaw: (kind, ref) => Effect.sync(() => Option.fromNullable(store.get(kind, ref))),
      put: (kind, object) => Effect.flatMap(mutate(() => store.put(kind, object)), fromEither),
      patch: (kind, ref, patch, patchOptions) =>
        Effect.flatMap(mutate(() => store.patch(kind, ref, patch, patchOptions?.subresource)), fromEither),
      delete: (kind, ref) => Effect.flatMap(mutate(() => store.delete(kind, ref, undefined)), fromEither),
      remove: (kind, ref) => mutate(() => store.remove(kind, ref)),
      setServed: (kind, served) =>
        Effect.sync(() => {
          if (served) unserved.delete(kindKeyOf(kind))
          else unserved.add(kindKeyOf(kind))
        }),
      endWatches: (error) => PubSub.publish(published, error === undefined ? { _tag: "End" } : { _tag: "Fail", error })
    }

    return { kubernetes, control }
  })

/** A fresh, empty in-memory apiserver providing `Kubernetes` and the `KubernetesControl` of the same store. */
export const layer = (options: Options = {}): Layer.Layer<Kubernetes | KubernetesControl> =>
  Layer.effectContext(
    Effect.map(
      make(options),
      ({ control, kubernetes }) => Context.make(Kubernetes, kubernetes).pipe(Context.add(KubernetesControl, control))
    )
  )
