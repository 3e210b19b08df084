import type { Schema } from "effect"
import * as ComponentModule from "../domain/Component.ts"
import * as EnvironmentModule from "../domain/Environment.ts"
import * as ImageRepositoryModule from "../domain/ImageRepository.ts"
import { imageRepositoryGroupOf, konflux } from "../domain/ImageRepositoryGroup.ts"
import type { ObjectMeta } from "../domain/ObjectMeta.ts"
import * as RemoteSecretModule from "../domain/RemoteSecret.ts"
import { Event as EventSchema } from "../domain/Event.ts"
import { Namespace as NamespaceSchema } from "../domain/NamespacePull.ts"
import { Secret as SecretSchema } from "../domain/Secret.ts"
import { ServiceAccount as ServiceAccountSchema } from "../domain/ServiceAccount.ts"

/** Everything the Kubernetes service needs to address and decode one kind of object. */
export interface ResourceKind<A extends { readonly metadata: ObjectMeta }, I> {
  readonly group: string
  readonly version: string
  readonly kind: string
  readonly plural: string
  /** Whether the kind has a status subresource (writes to the main resource then ignore status). */
  readonly statusSubresource: boolean
  readonly schema: Schema.Schema<A, I>
}

/** Declares a kind; inference keeps the schema's encoded type. */
export const resourceKind = <A extends { readonly metadata: ObjectMeta }, I>(kind: ResourceKind<A, I>): ResourceKind<A, I> =>
  kind

export const apiVersionOf = (kind: { readonly group: string; readonly version: string }): string =>
  kind.group === "" ? kind.version : `${kind.group}/${kind.version}`

export const ImageRepository = resourceKind({
  group: ImageRepositoryModule.group,
  version: ImageRepositoryModule.version,
  kind: ImageRepositoryModule.kind,
  plural: ImageRepositoryModule.plural,
  statusSubresource: true,
  schema: ImageRepositoryModule.ImageRepository
})

/** The same ImageRepository in the original controller's newer API group (same schema, served by its own controller). */
export const KonfluxImageRepository = resourceKind({
  group: konflux.group,
  version: ImageRepositoryModule.version,
  kind: ImageRepositoryModule.kind,
  plural: ImageRepositoryModule.plural,
  statusSubresource: true,
  schema: ImageRepositoryModule.ImageRepository
})

/** Both groups' ImageRepository kinds, the original group's first. */
export const imageRepositoryKinds = [ImageRepository, KonfluxImageRepository] as const

/** The kind an ImageRepository is read and written as: its own group's. */
export const imageRepositoryKindOf = (ir: ImageRepositoryModule.ImageRepository) =>
  imageRepositoryGroupOf(ir).group === konflux.group ? KonfluxImageRepository : ImageRepository

/** Konflux's Component (application-api): read, and annotated, by the legacy image flow. */
export const Component = resourceKind({
  group: ComponentModule.group,
  version: ComponentModule.version,
  kind: ComponentModule.kind,
  plural: ComponentModule.plural,
  statusSubresource: true,
  schema: ComponentModule.Component
})

export const Secret = resourceKind({
  group: "",
  version: "v1",
  kind: "Secret",
  plural: "secrets",
  statusSubresource: false,
  schema: SecretSchema
})

export const ServiceAccount = resourceKind({
  group: "",
  version: "v1",
  kind: "ServiceAccount",
  plural: "serviceaccounts",
  statusSubresource: false,
  schema: ServiceAccountSchema
})

export const Event = resourceKind({
  group: "events.k8s.io",
  version: "v1",
  kind: "Event",
  plural: "events",
  statusSubresource: false,
  schema: EventSchema
})

/** redhat-appstudio/remote-secret's RemoteSecret: how credentials are delivered in RemoteSecret mode. */
export const RemoteSecret = resourceKind({
  group: RemoteSecretModule.group,
  version: RemoteSecretModule.version,
  kind: RemoteSecretModule.kind,
  plural: RemoteSecretModule.plural,
  statusSubresource: true,
  schema: RemoteSecretModule.RemoteSecret
})

/** application-api's Environment (of the spec's era): where a component repository's pull RemoteSecret also goes. */
export const Environment = resourceKind({
  group: EnvironmentModule.group,
  version: EnvironmentModule.version,
  kind: EnvironmentModule.kind,
  plural: EnvironmentModule.plural,
  statusSubresource: true,
  schema: EnvironmentModule.Environment
})

/** A Namespace, read for kube-system's uid: it names the namespace pull robot (domain/NamespacePull.ts). */
export const Namespace = resourceKind({
  group: "",
  version: "v1",
  kind: "Namespace",
  plural: "namespaces",
  statusSubresource: false,
  schema: NamespaceSchema
})
