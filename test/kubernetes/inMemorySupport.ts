/** Fixtures shared by the KubernetesInMemory tests: one namespace, a fresh store per test, exit helpers. */
import { Effect, Exit, Option } from "effect"
import type { ObjectMeta } from "../../src/domain/ObjectMeta.ts"
import type { ImageRepository as ImageRepositoryType } from "../../src/domain/ImageRepository.ts"
import type { Secret as SecretType } from "../../src/domain/Secret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { KubernetesControl } from "../../src/layers/KubernetesInMemory.ts"
import { Kubernetes, type WatchEvent } from "../../src/services/Kubernetes.ts"

export const ns = "team-a"

export const imageRepository = (name: string, extra: Partial<ImageRepositoryType> = {}): ImageRepositoryType => ({
  metadata: { name, namespace: ns },
  spec: { image: { visibility: "public" } },
  ...extra
})

export const secret = (name: string, meta: Partial<SecretType["metadata"]> = {}): SecretType => ({
  metadata: { name, namespace: ns, ...meta },
  type: "Opaque",
  data: { token: "c2VjcmV0" }
})

export const ownedBy = (owner: { readonly metadata: ObjectMeta }, kind = "ImageRepository") => ({
  apiVersion: "appstudio.redhat.com/v1alpha1",
  kind,
  name: owner.metadata.name,
  uid: owner.metadata.uid ?? "",
  controller: true,
  blockOwnerDeletion: true
})

export const setup = Effect.all({ k8s: Kubernetes, control: KubernetesControl })

export const withStore = <A, E>(self: Effect.Effect<A, E, Kubernetes | KubernetesControl>) =>
  Effect.provide(self, KubernetesInMemory.layer())

/** Lets forked fibers run up to their next suspension. */
export const settle = Effect.repeatN(Effect.yieldNow(), 20)

export const errorTag = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>): string | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Exit.causeOption(exit), (cause) => {
    const failure = cause._tag === "Fail" ? cause.error._tag : undefined
    return failure ?? cause._tag
  })) : undefined

export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  return exit.cause._tag === "Fail" ? exit.cause.error : undefined
}

export const summary = <A extends { readonly metadata: { readonly name: string } }>(events: Iterable<WatchEvent<A>>) =>
  [...events].map((e) => (e.type === "BOOKMARK" ? "BOOKMARK" : `${e.type} ${e.object.metadata.name}`))
