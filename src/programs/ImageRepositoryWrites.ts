import { Effect } from "effect"
import type { ImageRepository, ImageRepositoryStatus } from "../domain/ImageRepository.ts"
import * as MergePatch from "../domain/MergePatch.ts"
import { refOf } from "../domain/ObjectMeta.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { ImageRepository as ImageRepositoryKind } from "../services/ResourceKind.ts"
import { fromKubernetes } from "./errors.ts"

/**
 * A merge patch of metadata/spec, guarded by the resourceVersion the decision was made on: if the user changed
 * the object meanwhile, the write fails with a conflict and the reconcile runs again on what they wrote.
 */
export const patchObject = (ir: ImageRepository, patch: { readonly [key: string]: unknown }) =>
  Effect.flatMap(Kubernetes, (kube) => {
    const metadata = (patch["metadata"] ?? {}) as { readonly [key: string]: unknown }
    return kube.patch(ImageRepositoryKind, refOf(ir.metadata), {
      ...patch,
      metadata: { ...metadata, resourceVersion: ir.metadata.resourceVersion }
    })
  }).pipe(Effect.mapError(fromKubernetes))

/** Writes status through the status subresource, and only what changed; an unchanged status costs no call. */
export const writeStatus = (ir: ImageRepository, next: ImageRepositoryStatus) => {
  const patch = MergePatch.diff(ir.status ?? {}, next)
  return patch === undefined
    ? Effect.succeed(ir)
    : Effect.flatMap(Kubernetes, (kube) =>
        kube.patch(ImageRepositoryKind, refOf(ir.metadata), { status: patch }, { subresource: "status" })
      ).pipe(Effect.mapError(fromKubernetes))
}
