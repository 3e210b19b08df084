import { Effect } from "effect"
import {
  type Component,
  finalizer,
  generateAnnotation,
  hasFinalizer,
  imageAnnotation,
  ownerKind
} from "../domain/Component.ts"
import { type ImageAnswer, renderImageAnswer } from "../domain/ComponentImageAnnotations.ts"
import { Component as ComponentKind } from "../services/ResourceKind.ts"
import { done } from "../services/ReconcileResult.ts"
import { patchGuarded } from "./ImageRepositoryWrites.ts"
import { recordWarning } from "./recordEvent.ts"

/**
 * The finalizer, written before the first Quay call: from then on a deletion always cleans up. Costs no write
 * when it is there already.
 */
export const claim = (component: Component) =>
  hasFinalizer(component)
    ? Effect.succeed(component)
    : patchGuarded(ComponentKind, component, {
      metadata: { finalizers: [...(component.metadata.finalizers ?? []), finalizer] }
    })

/** The finalizer comes off last, once Quay holds nothing of the Component's that is to go. */
export const release = (component: Component) =>
  patchGuarded(ComponentKind, component, {
    metadata: { finalizers: (component.metadata.finalizers ?? []).filter((f) => f !== finalizer) }
  })

/**
 * The answer written and the request removed in one write, guarded by the resourceVersion the pass read: a
 * request edited meanwhile fails it with a conflict, and the new request is served in the next pass.
 */
export const answer = (component: Component, result: ImageAnswer) =>
  patchGuarded(ComponentKind, component, {
    metadata: { annotations: { [imageAnnotation]: renderImageAnswer(result), [generateAnnotation]: null } }
  }).pipe(Effect.as(done))

/** A request refused: its message in the answer (with what the answer already said), and a Warning Event. */
export const refuse = (component: Component, result: ImageAnswer, reason: string, message: string) =>
  Effect.gen(function*() {
    yield* answer(component, { ...result, message })
    yield* recordWarning(component, reason, message, ownerKind)
    yield* Effect.logWarning(`${generateAnnotation} refused: ${message}`)
    return done
  })
