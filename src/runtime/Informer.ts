import { Clock, Data, Deferred, Duration, Effect, Either, HashMap, Option, Random, Ref, type Scope, Stream } from "effect"
import { type ObjectMeta, type ObjectRef, refKey, refOf } from "../domain/ObjectMeta.ts"
import { Kubernetes, type ListResult, type WatchEvent } from "../services/Kubernetes.ts"
import type { ResourceKind } from "../services/ResourceKind.ts"
import { defaultReconnectBackoff, type ReconnectBackoff, reconnectDelay } from "./Backoff.ts"

type AnyObject = { readonly metadata: ObjectMeta }

/** No event (not even a BOOKMARK) for too long: the connection is presumed dead. */
export class WatchIdle extends Data.TaggedError("WatchIdle")<{ readonly idleTimeout: Duration.Duration }> {
  override get message(): string {
    return `no event for ${Duration.format(this.idleTimeout)}`
  }
}

/** Identifies a kind across ResourceKind values: group, version and plural. */
export const kindKeyOf = (kind: { readonly group: string; readonly version: string; readonly plural: string }): string =>
  `${kind.group}/${kind.version}/${kind.plural}`

export interface InformerOptions<A extends AnyObject, I> {
  readonly kind: ResourceKind<A, I>
  /** All namespaces when absent. */
  readonly namespace?: string | undefined
  readonly labelSelector?: string | undefined
  /**
   * Receives every changed object: on an update both the old and the new one (so a changed owner wakes both),
   * on a relist every object that changed or vanished, on a resync every stored object. `keysTo` turns a
   * function of keys into one.
   */
  readonly onChange: (objects: ReadonlyArray<A>) => Effect.Effect<void>
  /** Re-delivers every stored object this often (level-based safety net); none when absent. */
  readonly resyncPeriod?: Duration.DurationInput | undefined
  readonly reconnect?: ReconnectBackoff | undefined
  /**
   * A watch silent for this long is presumed dead (a half-open connection never ends on its own) and
   * reopened from the last resourceVersion. Default 10 minutes, twice the apiserver's watch timeout.
   */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** A watch that lasted at least this long (or delivered events) resets the reconnect backoff. */
  readonly healthyWatch?: Duration.DurationInput | undefined
  /**
   * Runs the list-and-watch loop: a supervisor's restart policy (a loop that dies is started again and, when it
   * cannot recover, reported as unhealthy). Runs it as it is when absent.
   */
  readonly supervise?: ((name: string, loop: Effect.Effect<void>) => Effect.Effect<void>) | undefined
}

/** The store at one moment, read without a call; each read costs a pass over it, so it is read only on demand. */
export interface Snapshot<A> {
  readonly inNamespace: (namespace: string) => ReadonlyArray<A>
}

/** A reflector's read side: the store of the watched objects, kept current by list + watch. */
export interface Informer<A extends AnyObject> {
  readonly kind: { readonly group: string; readonly version: string; readonly plural: string; readonly kind: string }
  readonly namespace: string | undefined
  readonly labelSelector: string | undefined
  readonly get: (ref: ObjectRef) => Effect.Effect<Option.Option<A>>
  readonly list: Effect.Effect<ReadonlyArray<A>>
  /** The store as it is now, to read later without an Effect (a watch's mapping). */
  readonly snapshot: Effect.Effect<Snapshot<A>>
  /** Whether the first list has landed in the store. */
  readonly synced: Effect.Effect<boolean>
  readonly awaitSynced: Effect.Effect<void>
  /** The resourceVersion the next watch resumes from. */
  readonly resourceVersion: Effect.Effect<Option.Option<string>>
}

/**
 * Lists, then watches from the list's resourceVersion, for as long as the scope lives. The store serves
 * reads; every change hands the affected keys to `onKey`.
 * - A watch that fails with KubernetesGone (its resourceVersion compacted away) relists; objects that
 *   vanished meanwhile are delivered like deletions.
 * - A kind the apiserver does not serve (a list answered NotFound: no CRD) counts as synced and empty, and is
 *   listed again with backoff until it is served.
 * - Any other failure, or a watch the apiserver simply closed (they do, every few minutes), reconnects from
 *   the last resourceVersion seen (objects and BOOKMARKs), with capped exponential backoff and jitter so a
 *   watch that keeps ending at once cannot hammer the apiserver.
 */
export const make = <A extends AnyObject, I>(
  options: InformerOptions<A, I>
): Effect.Effect<Informer<A>, never, Kubernetes | Scope.Scope> =>
  Effect.gen(function*() {
    const kubernetes = yield* Kubernetes
    const { kind, labelSelector, namespace } = options
    const reconnect = options.reconnect ?? defaultReconnectBackoff
    const idleTimeout = options.idleTimeout ?? Duration.minutes(10)
    const healthyMillis = Duration.toMillis(options.healthyWatch ?? Duration.seconds(10))
    const store = yield* Ref.make(HashMap.empty<string, A>())
    const lastVersion = yield* Ref.make(Option.none<string>())
    const synced = yield* Deferred.make<void>()
    const scopeOptions = {
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector })
    }

    const enqueueAll = (objects: ReadonlyArray<A | undefined>): Effect.Effect<void> => {
      const present = objects.filter((object): object is A => object !== undefined)
      return present.length === 0 ? Effect.void : options.onChange(present)
    }

    const replaceStore = (listed: ListResult<A>): Effect.Effect<void> =>
      Effect.gen(function*() {
        const next = HashMap.fromIterable(listed.items.map((o) => [refKey(refOf(o.metadata)), o] as const))
        const previous = yield* Ref.getAndSet(store, next)
        yield* Ref.set(lastVersion, Option.some(listed.resourceVersion))
        const vanished = HashMap.toValues(HashMap.filter(previous, (_, key) => !HashMap.has(next, key)))
        const changed = listed.items.flatMap((o) => [o, Option.getOrUndefined(HashMap.get(previous, refKey(refOf(o.metadata))))])
        yield* enqueueAll([...changed, ...vanished])
        yield* Deferred.succeed(synced, undefined)
      })

    const apply = (event: WatchEvent<A>): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (event.type === "BOOKMARK") return yield* Ref.set(lastVersion, Option.some(event.resourceVersion))
        const object = event.object
        const key = refKey(refOf(object.metadata))
        const previous = Option.getOrUndefined(HashMap.get(yield* Ref.get(store), key))
        yield* Ref.update(store, (s) => event.type === "DELETED" ? HashMap.remove(s, key) : HashMap.set(s, key, object))
        if (object.metadata.resourceVersion !== undefined) {
          yield* Ref.set(lastVersion, Option.some(object.metadata.resourceVersion))
        }
        yield* enqueueAll([previous, object])
      })

    const reflect = Effect.gen(function*() {
      let attempt = 0
      let needList = true
      const pause = Effect.gen(function*() {
        const delay = reconnectDelay(reconnect, attempt, yield* Random.next)
        attempt++
        yield* Effect.sleep(delay)
      })
      while (true) {
        if (needList) {
          const listed = yield* Effect.either(kubernetes.list(kind, scopeOptions))
          if (Either.isLeft(listed) && listed.left._tag === "KubernetesNotFound") {
            // The apiserver does not serve the kind (its CRD is not installed): an empty kind until it does, so
            // the controllers of other kinds are not held up waiting for this cache. Asked again with backoff.
            if (!(yield* Deferred.isDone(synced))) {
              yield* Effect.logInfo(`${kind.kind} is not served by the apiserver: none are watched until it is`)
              yield* Deferred.succeed(synced, undefined)
            }
            yield* pause
            continue
          }
          if (Either.isLeft(listed)) {
            yield* Effect.logWarning(`listing ${kind.kind} failed: ${listed.left.message}`)
            yield* pause
            continue
          }
          yield* replaceStore(listed.right)
          needList = false
        }
        const from = yield* Ref.get(lastVersion)
        const started = yield* Clock.currentTimeMillis
        const sawEvent = yield* Ref.make(false)
        const ended = yield* kubernetes.watch(kind, {
          ...scopeOptions,
          ...(Option.isSome(from) ? { resourceVersion: from.value } : {})
        }).pipe(
          Stream.timeoutFail(() => new WatchIdle({ idleTimeout: Duration.decode(idleTimeout) }), idleTimeout),
          Stream.runForEach((event) => Ref.set(sawEvent, true).pipe(Effect.andThen(apply(event)))),
          Effect.either
        )
        const lasted = (yield* Clock.currentTimeMillis) - started
        if ((yield* Ref.get(sawEvent)) || lasted >= healthyMillis) attempt = 0
        if (Either.isLeft(ended) && ended.left._tag === "KubernetesGone") {
          needList = true
          yield* Effect.logInfo(`watch of ${kind.kind} expired (${ended.left.message}); relisting`)
        } else if (Either.isLeft(ended)) {
          yield* Effect.logWarning(`watch of ${kind.kind} failed: ${ended.left.message}; reconnecting`)
          yield* pause
          continue
        } else {
          yield* Effect.logDebug(`watch of ${kind.kind} closed by the apiserver; reconnecting`)
        }
        // A routine close or expiry after a healthy watch goes again at once; one that follows a short,
        // silent watch backs off, so a watch that keeps ending immediately cannot hammer the apiserver.
        if (attempt === 0) attempt = 1
        else yield* pause
      }
    }).pipe(Effect.annotateLogs({ informer: kind.kind }))

    const supervise = options.supervise ?? ((_: string, loop: Effect.Effect<void>) => loop)
    yield* Effect.forkScoped(supervise(`informer ${kind.kind}${labelSelector === undefined ? "" : ` (${labelSelector})`}`, reflect))

    if (options.resyncPeriod !== undefined) {
      const period = options.resyncPeriod
      yield* Effect.forkScoped(
        Deferred.await(synced).pipe(
          Effect.andThen(
            Effect.forever(
              Effect.sleep(period).pipe(
                Effect.andThen(Ref.get(store)),
                Effect.flatMap((s) => enqueueAll(HashMap.toValues(s)))
              )
            )
          )
        )
      )
    }

    return {
      kind,
      namespace,
      labelSelector,
      get: (ref) => Effect.map(Ref.get(store), HashMap.get(refKey(ref))),
      list: Effect.map(Ref.get(store), HashMap.toValues),
      snapshot: Effect.map(Ref.get(store), (objects) => ({
        inNamespace: (ns) => HashMap.toValues(HashMap.filter(objects, (_, key) => key.startsWith(`${ns}/`)))
      })),
      synced: Deferred.isDone(synced),
      awaitSynced: Deferred.await(synced),
      resourceVersion: Ref.get(lastVersion)
    }
  })

/** Hands the keys the changed objects concern to `onKey`, each once: the object itself unless `keysOf` says otherwise. */
export const keysTo = <A extends AnyObject>(
  onKey: (ref: ObjectRef) => Effect.Effect<void>,
  keysOf: (object: A) => ReadonlyArray<ObjectRef> = (object) => [refOf(object.metadata)]
) =>
(objects: ReadonlyArray<A>): Effect.Effect<void> => {
  const refs = new Map<string, ObjectRef>()
  for (const object of objects) {
    for (const ref of keysOf(object)) refs.set(refKey(ref), ref)
  }
  return Effect.forEach(refs.values(), onKey, { discard: true })
}

/**
 * Maps an owned object (a Secret) to the owners of the given kind that it names in its ownerReferences,
 * in its own namespace (ownerReferences never cross namespaces).
 */
export const ownerKeys = (owner: { readonly group: string; readonly kind: string }) =>
(object: AnyObject): ReadonlyArray<ObjectRef> =>
  (object.metadata.ownerReferences ?? [])
    // Any version of the owner's group: the reference outlives a CRD version bump.
    .filter((r) => r.kind === owner.kind && groupOf(r.apiVersion) === owner.group)
    .map((r) => ({ namespace: object.metadata.namespace ?? "", name: r.name }))

const groupOf = (apiVersion: string): string => {
  const slash = apiVersion.indexOf("/")
  return slash < 0 ? "" : apiVersion.slice(0, slash)
}

/**
 * Maps an object to the object of the same namespace that a label names (e.g. `appstudio.redhat.com/component`
 * naming a Component): the link for kinds that carry no ownerReference.
 */
export const labelKeys = (label: string) => (object: AnyObject): ReadonlyArray<ObjectRef> => {
  const name = object.metadata.labels?.[label]
  return name === undefined || name === "" ? [] : [{ namespace: object.metadata.namespace ?? "", name }]
}
