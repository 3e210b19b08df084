/**
 * Watches on the in-memory apiserver: the history from the resourceVersion asked for, then the live events,
 * seen through the watch's namespace and label selector, as the apiserver's watch cache serves them.
 */
import { Effect, Option, PubSub, type Scope, Stream } from "effect"
import type { ObjectMeta } from "../../domain/ObjectMeta.ts"
import type { WatchEvent, WatchOptions } from "../../services/Kubernetes.ts"
import { type KubernetesError, KubernetesGone, KubernetesInvalid } from "../../services/KubernetesError.ts"
import type { ResourceKind } from "../../services/ResourceKind.ts"
import { decode } from "./codec.ts"
import type { StoredEvent } from "./history.ts"
import * as LabelSelector from "./labelSelector.ts"
import { clone, type KindInfo, kindKeyOf, labelsOf, metaOf, type RawObject, stringField } from "./rawObject.ts"
import type { Store } from "./store.ts"

/** What live watches receive: committed events, and the control's orders to end. */
export type Published =
  | { readonly _tag: "Event"; readonly event: StoredEvent }
  | { readonly _tag: "Fail"; readonly error: KubernetesError }
  | { readonly _tag: "End" }

/** A selector the apiserver cannot parse is a bad request. */
export const parseSelector = (
  kind: KindInfo,
  selector: string | undefined
): Effect.Effect<LabelSelector.LabelSelector, KubernetesError> => {
  const parsed = LabelSelector.parse(selector)
  return "error" in parsed
    ? Effect.fail(new KubernetesInvalid({ kind: kind.kind, name: "", detail: parsed.error }))
    : Effect.succeed(parsed.selector)
}

const atVersion = (object: RawObject, resourceVersion: number): RawObject => ({
  ...object,
  metadata: { ...metaOf(object), resourceVersion: String(resourceVersion) }
})

type Change = { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: RawObject }

/** How one stored event looks to a watch of this kind, namespace and selector, if it sees it at all. */
const asSeenBy = (
  kindKey: string,
  namespace: string | undefined,
  selector: LabelSelector.LabelSelector
) =>
(event: StoredEvent): Change | undefined => {
  if (event.kindKey !== kindKey) return undefined
  const inScope = (o: RawObject | undefined): boolean =>
    o !== undefined &&
    (namespace === undefined || stringField(metaOf(o), "namespace") === namespace) &&
    LabelSelector.matches(selector, labelsOf(o))
  const now = inScope(event.object)
  if (event.type !== "MODIFIED") return now ? { type: event.type, object: event.object } : undefined
  const before = inScope(event.previous)
  // Moving in or out of a selector looks like creation or deletion to that watch; like the apiserver's
  // watch cache, the deletion carries the last state the watch could see.
  if (now && before) return { type: "MODIFIED", object: event.object }
  if (now) return { type: "ADDED", object: event.object }
  if (before && event.previous !== undefined) {
    return { type: "DELETED", object: atVersion(event.previous, event.resourceVersion) }
  }
  return undefined
}

/** Opens a watch: fails at once for a bad selector or resourceVersion, or one older than the history. */
export const openWatch = <A extends { readonly metadata: ObjectMeta }, I>(
  deps: {
    readonly store: Store
    readonly published: PubSub.PubSub<Published>
    /** The write lock: subscribing and reading the history under it, nothing is missed or seen twice. */
    readonly lock: Effect.Semaphore
  },
  kind: ResourceKind<A, I>,
  options: WatchOptions | undefined
): Effect.Effect<Stream.Stream<WatchEvent<A>, KubernetesError>, KubernetesError, Scope.Scope> =>
  Effect.gen(function*() {
    const selector = yield* parseSelector(kind, options?.labelSelector)
    const from = options?.resourceVersion
    const after = from === undefined || from === "" ? undefined : Number(from)
    if (after !== undefined && (!Number.isInteger(after) || after < 0)) {
      return yield* Effect.fail(
        new KubernetesInvalid({ kind: kind.kind, name: "", detail: `invalid resourceVersion "${from}"` })
      )
    }
    const { replay, subscription } = yield* deps.lock.withPermits(1)(
      Effect.gen(function*() {
        const subscription = yield* PubSub.subscribe(deps.published)
        const replay = after === undefined ? [] : deps.store.eventsAfter(after)
        return { subscription, replay }
      })
    )
    if (replay === "gone") {
      return yield* Effect.fail(
        new KubernetesGone({ detail: `too old resource version: ${from} (${deps.store.resourceVersion()})` })
      )
    }
    const live = Stream.fromQueue(subscription).pipe(
      Stream.takeWhile((message): message is Exclude<Published, { readonly _tag: "End" }> => message._tag !== "End"),
      Stream.mapEffect((message) => message._tag === "Event" ? Effect.succeed(message.event) : Effect.fail(message.error))
    )
    const seen = asSeenBy(kindKeyOf(kind), options?.namespace, selector)
    return Stream.fromIterable(replay).pipe(
      Stream.concat(live),
      Stream.filterMap((event) => Option.fromNullable(seen(event))),
      Stream.mapEffect((change) =>
        Effect.map(
          decode(kind)(clone(change.object)),
          (object): WatchEvent<A> => ({ type: change.type, object })
        )
      )
    )
  })
