import { type Duration, type Effect, Schema, type Scope } from "effect"
import type { ObjectMeta, ObjectRef } from "../domain/ObjectMeta.ts"
import { refOf } from "../domain/ObjectMeta.ts"
import type { Kubernetes } from "../services/Kubernetes.ts"
import type { ReconcileResult } from "../services/ReconcileResult.ts"
import type { ResourceKind } from "../services/ResourceKind.ts"
import type { ItemBackoff, RetryBucket } from "./Backoff.ts"
import * as Informer from "./Informer.ts"

type AnyObject = { readonly metadata: ObjectMeta }

/** What an informer needs besides its kind and selector; the manager supplies it. */
export type InformerSettings = Omit<Informer.InformerOptions<AnyObject, unknown>, "kind" | "labelSelector">

/** What a watch's mapping may read: the objects the controller reconciles, as its informer holds them (no call). */
export type Reconciled = Informer.Snapshot<AnyObject>

/**
 * One watch of a controller: a kind (optionally label-selected) and how a change of one of its objects maps to
 * the keys of the objects the controller reconciles. Controllers of one manager share one informer per kind,
 * namespace and selector: the first watch's `informer` builds it, and every watch's `keysOf` reads what it
 * delivers (objects of another schema are ignored).
 */
export interface Watch {
  readonly kind: { readonly group: string; readonly version: string; readonly plural: string; readonly kind: string }
  readonly labelSelector: string | undefined
  readonly keysOf: (object: AnyObject, reconciled: Reconciled) => ReadonlyArray<ObjectRef>
  readonly informer: (settings: InformerSettings) => Effect.Effect<Informer.Informer<AnyObject>, never, Kubernetes | Scope.Scope>
}

/**
 * A controller, declared as controller-runtime's builder declares one: the kind it reconciles (`For`), the kinds
 * it owns (`Owns`: mapped to their owner), other kinds it watches with a mapping (`Watches`), and its
 * level-triggered reconcile, which is called with a key only and reads what it needs.
 */
/**
 * Objects reconciled at once per controller when nothing else is said. A reconcile mostly waits (Quay round trips,
 * apiserver writes: ~7 of them for a new object). In the burst benchmark on two shared cores the CPU (this
 * operator's, the apiserver's, etcd's) is the bound long before the workers: 32 workers gave the same objects/s as
 * 16 with reconciles twice as long, so 16 stays. Against quay.io the client's rate limit sets the pace, and idle
 * workers cost nothing.
 */
export const defaultWorkers = 16

export interface Controller<E, R> {
  /** Names the controller in logs and metrics (controller-runtime's `controller` label). */
  readonly name: string
  readonly for: Watch
  readonly owns: ReadonlyArray<Watch>
  readonly watches: ReadonlyArray<Watch>
  readonly reconcile: (ref: ObjectRef) => Effect.Effect<ReconcileResult, E, R>
  /** Keys reconciled at once (different keys only). Default `defaultWorkers`. */
  readonly workers?: number | undefined
  /** A reconcile that takes longer fails (and is retried with backoff). None when absent. */
  readonly reconcileTimeout?: Duration.DurationInput | undefined
  /** Per-key retry backoff after failures. Default 5 ms doubling to 1000 s. */
  readonly backoff?: ItemBackoff | undefined
  /** Overall retry limit across keys; `false` for none. Default 10 per second, burst 100. */
  readonly retryBucket?: RetryBucket | false | undefined
}

export interface ControllerOptions<E, R> {
  readonly name: string
  readonly reconcile: (ref: ObjectRef) => Effect.Effect<ReconcileResult, E, R>
  /** Only the objects with these labels are reconciled. */
  readonly labelSelector?: string | undefined
  readonly workers?: number | undefined
  readonly reconcileTimeout?: Duration.DurationInput | undefined
  readonly backoff?: ItemBackoff | undefined
  readonly retryBucket?: RetryBucket | false | undefined
}

/** A watch of `kind` whose objects map to keys through `keysOf`; objects of another kind are ignored. */
const watchOf = <A extends AnyObject, I>(
  kind: ResourceKind<A, I>,
  labelSelector: string | undefined,
  keysOf: (object: A, reconciled: Reconciled) => ReadonlyArray<ObjectRef>
): Watch => {
  const is = Schema.is(kind.schema)
  return {
    kind,
    labelSelector,
    keysOf: (object, reconciled) => (is(object) ? keysOf(object, reconciled) : []),
    informer: (settings) => Informer.make({ ...settings, kind, labelSelector })
  }
}

/** Declares a controller that reconciles the objects of `kind`. */
export const make = <A extends AnyObject, I, E, R>(
  kind: ResourceKind<A, I>,
  options: ControllerOptions<E, R>
): Controller<E, R> => ({
  name: options.name,
  for: watchOf(kind, options.labelSelector, (object) => [refOf(object.metadata)]),
  owns: [],
  watches: [],
  reconcile: options.reconcile,
  workers: options.workers,
  reconcileTimeout: options.reconcileTimeout,
  backoff: options.backoff,
  retryBucket: options.retryBucket
})

export interface OwnsOptions {
  /** Watch only the owned objects with these labels (the operator's own Secrets, not every Secret). */
  readonly labelSelector?: string | undefined
  /**
   * How an owned object names its owner: its ownerReferences to the reconciled kind (default), or a label whose
   * value is the owner's name in the same namespace.
   */
  readonly ownerLabel?: string | undefined
}

/** The controller owns objects of `kind`: a change of one reconciles its owner. */
export const owns = <B extends AnyObject, J>(kind: ResourceKind<B, J>, options: OwnsOptions = {}) =>
<E, R>(controller: Controller<E, R>): Controller<E, R> => ({
  ...controller,
  owns: [
    ...controller.owns,
    watchOf(
      kind,
      options.labelSelector,
      options.ownerLabel === undefined ? Informer.ownerKeys(controller.for.kind) : Informer.labelKeys(options.ownerLabel)
    )
  ]
})

/**
 * The controller watches objects of `kind`: a change of one reconciles the objects `keysOf` names. The mapping may
 * read the controller's own objects from its cache (its second argument), as controller-runtime's map functions
 * read through the manager's cached client: e.g. a ServiceAccount mapped to the objects that want a link to it.
 */
export const watches = <B extends AnyObject, J>(
  kind: ResourceKind<B, J>,
  keysOf: (object: B, reconciled: Reconciled) => ReadonlyArray<ObjectRef>,
  options: { readonly labelSelector?: string | undefined } = {}
) =>
<E, R>(controller: Controller<E, R>): Controller<E, R> => ({
  ...controller,
  watches: [...controller.watches, watchOf(kind, options.labelSelector, keysOf)]
})

/** Every watch of the controller, its own kind first. */
export const watchesOf = <E, R>(controller: Controller<E, R>): ReadonlyArray<Watch> => [
  controller.for,
  ...controller.owns,
  ...controller.watches
]

/** Watches of one kind, selector and namespace share one informer. */
export const informerKey = (watch: Watch, namespace: string | undefined): string =>
  `${Informer.kindKeyOf(watch.kind)} ${namespace ?? "*"} ${watch.labelSelector ?? ""}`
