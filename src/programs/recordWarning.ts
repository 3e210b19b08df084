import { Effect, Random } from "effect"
import * as Event from "../domain/Event.ts"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import * as Kinds from "../services/ResourceKind.ts"
import { now } from "../domain/Timestamp.ts"

/**
 * A Warning Event on the object, for what a user must act on (a failed object, a change that was put back), so
 * `kubectl describe` shows it next to the status. Best effort: an Event that cannot be written is logged, never
 * retried, and never fails the reconcile that already wrote the status.
 */
export const recordWarning = (ir: ImageRepository, reason: string, message: string) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const at = yield* now
    const suffix = (yield* Random.nextIntBetween(0, 0x7fffffff)).toString(16).padStart(8, "0")
    yield* kube.create(Kinds.Event, Event.warning(ir, { reason, message, at, suffix }))
  }).pipe(
    Effect.catchAll((error) => Effect.logWarning(`could not record a ${reason} Event: ${error.message}`)),
    Effect.withSpan("recordWarning")
  )
