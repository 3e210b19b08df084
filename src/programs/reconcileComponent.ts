import { Effect, Option } from "effect"
import { type Component, hasFinalizer, isDeleting, ownerKind } from "../domain/Component.ts"
import { generateRequest, imageAnswer, isGenerated } from "../domain/ComponentImageAnnotations.ts"
import type { ObjectRef } from "../domain/ObjectMeta.ts"
import type { Transient } from "../domain/ReconcileError.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { Quay } from "../services/Quay.ts"
import { done, type ReconcileResult } from "../services/ReconcileResult.ts"
import { Component as ComponentKind } from "../services/ResourceKind.ts"
import { claim, refuse } from "./ComponentWrites.ts"
import { fromKubernetes } from "./errors.ts"
import { generateComponentImage } from "./generateComponentImage.ts"
import { releaseComponent } from "./releaseComponent.ts"

/**
 * Without a request there is nothing to do, and it costs nothing, except that a generated Component whose
 * finalizer someone removed gets it back, so its deletion still cleans up.
 */
const keepFinalizer = (component: Component) =>
  hasFinalizer(component) || !isGenerated(imageAnswer(component.metadata.annotations))
    ? Effect.succeed(done)
    : claim(component).pipe(Effect.as(done))

/** What a Component needs, decided from what it is now (level-triggered), never from the event that woke it. */
const reconcileObject = (component: Component) =>
  Effect.gen(function*() {
    if (isDeleting(component)) return yield* releaseComponent(component)
    const request = generateRequest(component.metadata.annotations)
    switch (request._tag) {
      case "None":
        return yield* keepFinalizer(component)
      case "Invalid":
        // Nothing is created: the answer keeps what it said and carries the message.
        return yield* refuse(component, imageAnswer(component.metadata.annotations), "InvalidGenerateRequest", request.message)
      case "Generate":
        return yield* generateComponentImage(component, request.visibility)
    }
  })

/**
 * Reconciles one Component of the legacy (deprecated) image flow: the entry point the Component controller
 * calls. Fails only with Transient (retried with backoff); refusals are answered in `image.redhat.com/image`.
 */
export const reconcileComponent = (ref: ObjectRef): Effect.Effect<ReconcileResult, Transient, Quay | Kubernetes> =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const found = yield* kube.get(ComponentKind, ref).pipe(Effect.mapError(fromKubernetes))
    if (Option.isNone(found)) return done
    return yield* reconcileObject(found.value).pipe(Effect.catchTag("ObjectGone", () => Effect.succeed(done)))
  }).pipe(
    Effect.annotateLogs({ kind: ownerKind.kind, namespace: ref.namespace, name: ref.name }),
    Effect.withSpan("reconcileComponent", { captureStackTrace: false, attributes: { namespace: ref.namespace, name: ref.name } })
  )
