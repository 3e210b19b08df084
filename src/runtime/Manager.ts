import { Duration, Effect, Metric, Option, Ref, type Scope } from "effect"
import { type ObjectMeta, type ObjectRef, refKey } from "../domain/ObjectMeta.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { ReconnectBackoff } from "./Backoff.ts"
import * as CachedKubernetes from "./CachedKubernetes.ts"
import { type Controller, informerKey, type Reconciled, type Watch, watchesOf } from "./Controller.ts"
import * as Informer from "./Informer.ts"
import * as LeaderElection from "./LeaderElection.ts"
import * as Metrics from "./Metrics.ts"
import * as ReconcileLoop from "./ReconcileLoop.ts"
import * as Supervisor from "./Supervisor.ts"
import type { WorkQueue } from "./WorkQueue.ts"

type AnyObject = { readonly metadata: ObjectMeta }

/**
 * Work that runs only while this replica leads, next to the controllers (a periodic sweep): started once the caches
 * have synced, interrupted when the term ends, restarted with backoff if it dies. It reads the `Kubernetes` of the
 * manager's environment, the apiserver itself, not the caches.
 */
export interface LeaderTask<R> {
  readonly name: string
  readonly run: Effect.Effect<void, unknown, R>
}

export interface ManagerOptions<E, R, T = never> {
  readonly controllers: ReadonlyArray<Controller<E, R>>
  /** Leader-only tasks; none when absent. */
  readonly tasks?: ReadonlyArray<LeaderTask<T>> | undefined
  /** Watch one namespace; all namespaces when absent. */
  readonly namespace?: string | undefined
  /** Every reconciled object is queued again this often, changed or not. Default 10 minutes. */
  readonly resyncPeriod?: Duration.DurationInput | undefined
  readonly reconnect?: ReconnectBackoff | undefined
  /** Reconcile only while holding this Lease; always when absent. The caches fill either way. */
  readonly leaderElection?: LeaderElection.LeaderElectionConfig | undefined
  /** How long shutdown waits for in-flight reconciles. Default 25 s (inside Kubernetes' 30 s grace period). */
  readonly drainTimeout?: Duration.DurationInput | undefined
  /** Serve the reconciles' gets of watched kinds from the informers. Default true. */
  readonly cacheReads?: boolean | undefined
  /** When a dying informer or worker is restarted, and when it is given up on. */
  readonly supervision?: Supervisor.SupervisorOptions | undefined
}

/** What a running manager tells its host (the probes, tests). */
export interface Manager {
  /** True while this replica leads (or needs no election), its caches are synced and its workers run. */
  readonly active: Effect.Effect<boolean>
  /** Whether every informer has listed its kind once: a standby's caches are warm before it leads. */
  readonly synced: Effect.Effect<boolean>
  /** The loops given up on (an informer or worker that kept dying); empty while healthy. */
  readonly failures: Effect.Effect<ReadonlyArray<string>>
  /** The cached objects of a watched kind (all of its informers' stores), e.g. for gauges read at scrape time. */
  readonly cached: (kind: { readonly group: string; readonly version: string; readonly plural: string }) => Effect.Effect<ReadonlyArray<AnyObject>>
}

/**
 * Which controller's queue an informer feeds, and how its objects map to that controller's keys (reading, when the
 * mapping asks, the store of the controller's own informer, `reconciledKey`).
 */
interface Subscriber {
  readonly route: Ref.Ref<Option.Option<WorkQueue>>
  readonly keysOf: (object: AnyObject, reconciled: Reconciled) => ReadonlyArray<ObjectRef>
  readonly reconciledKey: string
}

/**
 * Runs controllers in the scope, as controller-runtime's manager does: one informer per kind, namespace and label
 * selector, shared by every controller that watches it and started at once, so a standby replica's caches are
 * warm when it takes over; one leader election; workers and leader tasks only while leading, after the caches
 * have synced. A lost
 * Lease interrupts in-flight reconciles (another replica may lead already) and campaigns again; closing the scope
 * drains them and releases the Lease. Informer and worker loops run supervised.
 */
export const run = <E, R, T = never>(
  options: ManagerOptions<E, R, T>
): Effect.Effect<Manager, never, Kubernetes | Exclude<R, Kubernetes> | T | Scope.Scope> =>
  Effect.gen(function*() {
    const raw = yield* Kubernetes
    const supervisor = yield* Supervisor.make(options.supervision)
    const active = yield* Ref.make(false)
    const resyncPeriod = options.resyncPeriod ?? Duration.minutes(10)

    const routes = yield* Effect.forEach(options.controllers, () => Ref.make(Option.none<WorkQueue>()))
    // One informer per kind, namespace and selector; the resync applies when a controller reconciles that kind.
    const subscribers = new Map<string, { readonly watch: Watch; readonly resync: boolean; readonly subscribers: Array<Subscriber> }>()
    options.controllers.forEach((controller, index) => {
      const route = routes[index]
      if (route === undefined) return
      for (const watch of watchesOf(controller)) {
        const key = informerKey(watch, options.namespace)
        const entry = subscribers.get(key) ?? { watch, resync: false, subscribers: [] }
        entry.subscribers.push({
          route,
          keysOf: watch.keysOf,
          reconciledKey: informerKey(controller.for, options.namespace)
        })
        subscribers.set(key, { ...entry, resync: entry.resync || watch === controller.for })
      }
    })

    const informers = new Map<string, Informer.Informer<AnyObject>>()
    const reconciledBy = (key: string): Effect.Effect<Reconciled> =>
      informers.get(key)?.snapshot ?? Effect.succeed({ inNamespace: () => [] })

    /** Hands the changed objects' keys to the queue of every controller that watches them and is running. */
    const deliver = (targets: ReadonlyArray<Subscriber>) => (objects: ReadonlyArray<AnyObject>) =>
      Effect.forEach(targets, (target) =>
        Ref.get(target.route).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.void,
            onSome: (queue) =>
              Effect.flatMap(reconciledBy(target.reconciledKey), (reconciled) =>
                Informer.keysTo((ref) => queue.add(refKey(ref)), (object) => target.keysOf(object, reconciled))(objects))
          }))
        ), { discard: true })

    for (const [key, entry] of subscribers) {
      informers.set(
        key,
        yield* entry.watch.informer({
          namespace: options.namespace,
          onChange: deliver(entry.subscribers),
          resyncPeriod: entry.resync ? resyncPeriod : undefined,
          reconnect: options.reconnect,
          supervise: supervisor.supervise
        })
      )
    }
    const all = [...informers.values()]
    const synced = Effect.reduce(all, true, (ok, informer) => (ok ? informer.synced : Effect.succeed(false)))
    const kubernetes = options.cacheReads === false ? raw : yield* CachedKubernetes.make(raw, all)

    const leaderGauges = options.controllers.map((c) => Metrics.forController(c.name).leaderStatus)
    const leading = Effect.acquireRelease(
      Ref.set(active, true).pipe(Effect.andThen(Effect.forEach(leaderGauges, (g) => Metric.set(g, 1)))),
      () => Ref.set(active, false).pipe(Effect.andThen(Effect.forEach(leaderGauges, (g) => Metric.set(g, 0))))
    )

    /** One term: as controller-runtime, no reconcile before the caches have seen everything once. */
    const term = (leadership?: LeaderElection.Leadership) =>
      Effect.scoped(
        Effect.gen(function*() {
          yield* Effect.forEach(all, (informer) => informer.awaitSynced, { discard: true })
          yield* Effect.forEach(options.controllers, (controller, index) => {
            const route = routes[index]
            const objects = informers.get(informerKey(controller.for, options.namespace))
            return route === undefined || objects === undefined ? Effect.void : ReconcileLoop.run(controller, {
              kubernetes,
              objects,
              route,
              drainTimeout: options.drainTimeout ?? Duration.seconds(25),
              abandon: leadership?.lost,
              supervise: supervisor.supervise
            })
          }, { discard: true })
          yield* Effect.forEach(
            options.tasks ?? [],
            (task) => Effect.forkScoped(supervisor.supervise(`task ${task.name}`, task.run)),
            { discard: true }
          )
          yield* leading
          return yield* Effect.never
        })
      )

    const election = options.leaderElection
    yield* Effect.logInfo(
      `manager started: ${options.controllers.map((c) => c.name).join(", ")}; ${all.length} informers; ${
        options.namespace === undefined ? "all namespaces" : `namespace ${options.namespace}`
      }`
    )
    yield* Effect.forkScoped(
      election === undefined ? term() : Effect.forever(
        LeaderElection.runAsLeader(election, term).pipe(
          Effect.catchAll((lost) => Effect.logWarning(`${lost.message}; campaigning again`))
        )
      )
    )
    const cached = (kind: { readonly group: string; readonly version: string; readonly plural: string }) =>
      Effect.map(
        Effect.forEach(all.filter((i) => Informer.kindKeyOf(i.kind) === Informer.kindKeyOf(kind)), (i) => i.list),
        (lists) => lists.flat()
      )
    return { active: Ref.get(active), synced, failures: supervisor.failed, cached }
  })
