import { Context, type Effect, type Option, type Stream } from "effect"
import type { ObjectMeta, ObjectRef } from "../domain/ObjectMeta.ts"
import type { KubernetesError } from "./KubernetesError.ts"
import type { ResourceKind } from "./ResourceKind.ts"

type Object = { readonly metadata: ObjectMeta }

export interface ListResult<A> {
  readonly items: ReadonlyArray<A>
  /** The list's resourceVersion: where a watch that follows it starts. */
  readonly resourceVersion: string
}

export type WatchEvent<A> =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: A }
  /** Carries only the latest resourceVersion, so a reconnecting watch resumes from it. */
  | { readonly type: "BOOKMARK"; readonly resourceVersion: string }

export interface ListOptions {
  /** All namespaces when absent. */
  readonly namespace?: string
  readonly labelSelector?: string
}

export interface WatchOptions extends ListOptions {
  readonly resourceVersion?: string
}

export interface DeleteOptions {
  /** The apiserver refuses the delete (409) unless the object still has this uid / resourceVersion. */
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string }
}

export interface PatchOptions {
  /** `status` writes through the status subresource. */
  readonly subresource?: "status"
}

/**
 * The apiserver as the programs need it. Writes are optimistic: an object or merge patch that carries
 * metadata.resourceVersion fails with `KubernetesConflict` when the stored object has moved on.
 */
export interface Kubernetes {
  readonly get: <A extends Object, I>(
    kind: ResourceKind<A, I>,
    ref: ObjectRef
  ) => Effect.Effect<Option.Option<A>, KubernetesError>
  readonly list: <A extends Object, I>(
    kind: ResourceKind<A, I>,
    options?: ListOptions
  ) => Effect.Effect<ListResult<A>, KubernetesError>
  /** `KubernetesConflict` when the name is taken. */
  readonly create: <A extends Object, I>(kind: ResourceKind<A, I>, object: A) => Effect.Effect<A, KubernetesError>
  /** PUT: replaces the object; guarded by the resourceVersion it carries. */
  readonly replace: <A extends Object, I>(
    kind: ResourceKind<A, I>,
    object: A,
    options?: PatchOptions
  ) => Effect.Effect<A, KubernetesError>
  /** JSON merge patch (RFC 7386, `application/merge-patch+json`). */
  readonly patch: <A extends Object, I>(
    kind: ResourceKind<A, I>,
    ref: ObjectRef,
    patch: unknown,
    options?: PatchOptions
  ) => Effect.Effect<A, KubernetesError>
  readonly delete: <A extends Object, I>(
    kind: ResourceKind<A, I>,
    ref: ObjectRef,
    options?: DeleteOptions
  ) => Effect.Effect<void, KubernetesError>
  /**
   * Discovery: whether the apiserver serves the kind (its group/version lists the resource), e.g. whether a CRD is
   * installed. A group/version the apiserver does not know answers false.
   */
  readonly serves: (kind: { readonly group: string; readonly version: string; readonly plural: string }) => Effect.Effect<
    boolean,
    KubernetesError
  >
  /** Events after `resourceVersion` (or from now); fails with `KubernetesGone` when that version is too old. */
  readonly watch: <A extends Object, I>(
    kind: ResourceKind<A, I>,
    options?: WatchOptions
  ) => Stream.Stream<WatchEvent<A>, KubernetesError>
}

export const Kubernetes = Context.GenericTag<Kubernetes>("image-repository-operator/Kubernetes")
