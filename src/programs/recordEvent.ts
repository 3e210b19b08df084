import { Clock, Effect, Option } from "effect"
import * as Event from "../domain/Event.ts"
import type { ObjectMeta, OwnerKind } from "../domain/ObjectMeta.ts"
import { microTime } from "../domain/Timestamp.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import * as Kinds from "../services/ResourceKind.ts"

/**
 * An Event on the object (events.k8s.io), so `kubectl describe` shows what the operator did next to the status.
 * The same occurrence again (same object, type, reason and note) counts up the first Event's `series`, as
 * client-go's recorder aggregates, instead of adding another. Best effort: an Event that cannot be written is
 * logged, never retried, and never fails the reconcile that already did its work.
 */
export const recordEvent = (ir: { readonly metadata: ObjectMeta }, input: Event.EventInput, kind?: OwnerKind) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const at = microTime(yield* Clock.currentTimeMillis)
    const event = Event.about(ir, input, at, kind)
    const created = yield* kube.create(Kinds.Event, event).pipe(
      Effect.as(true),
      Effect.catchTag("KubernetesConflict", () => Effect.succeed(false))
    )
    if (created) return
    // Seen before: one more in its series.
    const existing = yield* kube.get(Kinds.Event, { namespace: event.metadata.namespace ?? "", name: event.metadata.name })
    if (Option.isNone(existing)) return
    yield* kube.patch(Kinds.Event, { namespace: event.metadata.namespace ?? "", name: event.metadata.name }, {
      metadata: { resourceVersion: existing.value.metadata.resourceVersion },
      series: { count: (existing.value.series?.count ?? 1) + 1, lastObservedTime: at }
    })
  }).pipe(
    Effect.catchAll((error) =>
      // A namespace being deleted takes no new Event: expected for every object cleaned up in it, not worth a Warning.
      error._tag === "KubernetesForbidden" && error.detail.includes("being terminated")
        ? Effect.logDebug(`no ${input.reason} Event: ${error.message}`)
        : Effect.logWarning(`could not record a ${input.reason} Event: ${error.message}`)
    ),
    Effect.withSpan("recordEvent", { captureStackTrace: false, attributes: { reason: input.reason } })
  )

/** A Warning for what a user must act on: a failed object, a change that was put back, a damaged status. */
export const recordWarning = (ir: { readonly metadata: ObjectMeta }, reason: string, note: string, kind?: OwnerKind) =>
  recordEvent(ir, { type: "Warning", reason, action: "Reconcile", note }, kind)
