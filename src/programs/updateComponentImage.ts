import { Effect, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { Component as ComponentKind } from "../services/ResourceKind.ts"
import { fromKubernetes } from "./errors.ts"
import { patchObject } from "./ImageRepositoryWrites.ts"
import type { Target } from "./Target.ts"

/**
 * The original controller's `update-component-image` annotation: once a component repository is ready, its
 * Component's `spec.containerImage` is set to the repository's image URL and the annotation is removed. A
 * Component that does not exist leaves the annotation for a later pass, as the original does. Only what the user
 * asked for by annotating the object is written, so it needs no setting. Answers whether it wrote (the write of
 * the annotation wakes the object again); when it did not, the pass goes on to maintenance.
 */
export const updateComponentImageAnnotation = "image-controller.appstudio.redhat.com/update-component-image"

export const wantsComponentImage = (ir: ImageRepository, target: Target): boolean =>
  ir.metadata.annotations?.[updateComponentImageAnnotation] === "true" && target.component !== undefined

export const updateComponentImage = (ir: ImageRepository, target: Target) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const component = target.component
    if (component === undefined) return false
    const ref = { namespace: ir.metadata.namespace ?? "", name: component.name }
    const found = yield* kube.get(ComponentKind, ref).pipe(Effect.mapError(fromKubernetes))
    if (Option.isNone(found)) {
      yield* Effect.logInfo(`Component ${component.name} does not exist: its image is set once it does`)
      return false
    }
    yield* kube.patch(ComponentKind, ref, {
      metadata: { resourceVersion: found.value.metadata.resourceVersion },
      spec: { containerImage: target.imageUrl }
    }).pipe(Effect.mapError(fromKubernetes))
    yield* patchObject(ir, { metadata: { annotations: { [updateComponentImageAnnotation]: null } } })
    yield* Effect.logInfo(`Component ${component.name}'s containerImage set to ${target.imageUrl}`)
    return true
  }).pipe(Effect.withSpan("updateComponentImage", { captureStackTrace: false }))
