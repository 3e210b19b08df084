import { Data, Effect } from "effect"
import type { ImageRepository, ImageRepositoryStatus } from "../domain/ImageRepository.ts"
import * as MergePatch from "../domain/MergePatch.ts"
import { type ObjectMeta, refOf } from "../domain/ObjectMeta.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { imageRepositoryKindOf, type ResourceKind } from "../services/ResourceKind.ts"
import type { KubernetesError } from "../services/KubernetesError.ts"
import { fromKubernetes } from "./errors.ts"

/** The object was deleted while it was being reconciled: there is nothing left to do for it. */
export class ObjectGone extends Data.TaggedError("ObjectGone")<{}> {}

const writeError = (error: KubernetesError) => (error._tag === "KubernetesNotFound" ? new ObjectGone() : fromKubernetes(error))

/**
 * A merge patch of an object of any kind, guarded by the resourceVersion the decision was made on: if the user
 * changed the object meanwhile, the write fails with a conflict and the reconcile runs again on what they wrote.
 */
export const patchGuarded = <A extends { readonly metadata: ObjectMeta }, I>(
  kind: ResourceKind<A, I>,
  object: A,
  patch: { readonly [key: string]: unknown }
) =>
  Effect.flatMap(Kubernetes, (kube) => {
    const metadata = (patch["metadata"] ?? {}) as { readonly [key: string]: unknown }
    return kube.patch(kind, refOf(object.metadata), {
      ...patch,
      metadata: { ...metadata, resourceVersion: object.metadata.resourceVersion }
    })
  }).pipe(Effect.mapError(writeError))

/** A guarded merge patch of an ImageRepository's metadata/spec (`patchGuarded`). */
export const patchObject = (ir: ImageRepository, patch: { readonly [key: string]: unknown }) =>
  patchGuarded(imageRepositoryKindOf(ir), ir, patch)

/**
 * Writes status through the status subresource, and only what changed; an unchanged status costs no call.
 * `guarded` makes it fail with a conflict if the object moved on since it was read.
 */
export const writeStatus = (
  ir: ImageRepository,
  next: ImageRepositoryStatus,
  options: { readonly guarded?: boolean } = {}
) => {
  const patch = MergePatch.diff(ir.status ?? {}, next)
  return patch === undefined
    ? Effect.succeed(ir)
    : Effect.flatMap(Kubernetes, (kube) =>
        kube.patch(
          imageRepositoryKindOf(ir),
          refOf(ir.metadata),
          options.guarded === true ? { metadata: { resourceVersion: ir.metadata.resourceVersion }, status: patch } : { status: patch },
          { subresource: "status" }
        )
      ).pipe(Effect.mapError(writeError))
}

/**
 * Records, with no resourceVersion guard, the visibility a pass set in Quay after the guarded status write that
 * carried it conflicted with someone's edit. It is a fact, right whatever the edit was; left unrecorded, a spec
 * edited back to the old value would look converged and Quay would keep the other visibility.
 */
export const recordVisibility = (ir: ImageRepository, next: ImageRepositoryStatus) => {
  const visibility = next.image?.visibility
  return visibility === undefined || visibility === ir.status?.image?.visibility
    ? Effect.void
    : Effect.asVoid(writeStatus(ir, { ...ir.status, image: { ...ir.status?.image, visibility } }))
}

/** spec.credentials flags that ask for one action and are removed by the operator once it is done. */
export const oneShotFlags = ["regenerate-token", "verify-linking"] as const
export type OneShotFlag = typeof oneShotFlags[number]

/** A spec patch removing one flag. */
export const clearFlag = (flag: OneShotFlag) => ({ spec: { credentials: { [flag]: null } } })

/** The one-shot flags a spec patch removes. */
export const clearedFlags = (specPatch: unknown): ReadonlyArray<OneShotFlag> => {
  const credentials = (specPatch as { spec?: { credentials?: Record<string, unknown> } }).spec?.credentials ?? {}
  return oneShotFlags.filter((flag) => credentials[flag] === null)
}

/**
 * Removes one-shot flags from spec with no resourceVersion guard, after the guarded write that carried their
 * removal conflicted with someone's edit. Nothing can be lost: until this write lands the flags are set, so a
 * user setting one again writes what is already there.
 */
export const clearFlags = (ir: ImageRepository, flags: ReadonlyArray<OneShotFlag>) =>
  Effect.flatMap(Kubernetes, (kube) =>
    kube.patch(imageRepositoryKindOf(ir), refOf(ir.metadata), {
      spec: { credentials: Object.fromEntries(flags.map((flag) => [flag, null])) }
    })
  ).pipe(Effect.mapError(writeError))
