import { Schema } from "effect"
import { Component } from "./ComponentRepository.ts"
import { Condition } from "./Condition.ts"
import { ObjectMeta, type OwnerKind } from "./ObjectMeta.ts"

export const group = "appstudio.redhat.com"
export const version = "v1alpha1"
export const apiVersion = `${group}/${version}`
export const kind = "ImageRepository"
export const plural = "imagerepositories"
export const ownerKind: OwnerKind = { apiVersion, kind }

/** Finalizer shared with the original controller, so objects it provisioned are cleaned up by this one. */
export const finalizer = "appstudio.openshift.io/image-repository"

/** Annotation that keeps the Quay repository when the object is deleted (robots are still removed). */
export const skipRepositoryDeletionAnnotation = "image-controller.appstudio.redhat.com/skip-repository-deletion"

/**
 * spec.image.visibility is a free string here on purpose: a value outside public|private must reach the
 * programs, which answer it with a status message, instead of making the whole object undecodable.
 */
export const ImageSpec = Schema.Struct({
  name: Schema.optional(Schema.String),
  visibility: Schema.optional(Schema.String)
})

export const CredentialsSpec = Schema.Struct({
  "regenerate-token": Schema.optional(Schema.Boolean),
  "regenerate-namespace-pull-token": Schema.optional(Schema.Boolean),
  "verify-linking": Schema.optional(Schema.Boolean)
})

/**
 * A Quay repository notification, keyed by title. event and method are free strings here for the same reason as
 * visibility: an unknown one is answered with a status message (the CRD's enums refuse it at admission).
 */
export const NotificationSpec = Schema.Struct({
  title: Schema.optional(Schema.String),
  event: Schema.optional(Schema.String),
  method: Schema.optional(Schema.String),
  config: Schema.optional(Schema.Struct({ email: Schema.optional(Schema.String), url: Schema.optional(Schema.String) }))
})
export type NotificationSpec = typeof NotificationSpec.Type

export const ImageRepositorySpec = Schema.Struct({
  image: Schema.optional(ImageSpec),
  credentials: Schema.optional(CredentialsSpec),
  notifications: Schema.optional(Schema.Array(NotificationSpec))
})
export type ImageRepositorySpec = typeof ImageRepositorySpec.Type

export const ImageStatus = Schema.Struct({
  url: Schema.optional(Schema.String),
  visibility: Schema.optional(Schema.String)
})

/** Pull fields: the original controller wrote them for every object; read so a tampered one can be told apart. */
export const CredentialsStatus = Schema.Struct({
  generationTimestamp: Schema.optional(Schema.String),
  "push-robot-account": Schema.optional(Schema.String),
  "push-secret": Schema.optional(Schema.String),
  "pull-robot-account": Schema.optional(Schema.String),
  "pull-secret": Schema.optional(Schema.String),
  /** In RemoteSecret mode: the RemoteSecrets that manage push-secret and pull-secret (src/domain/RemoteSecret.ts). */
  "push-remote-secret": Schema.optional(Schema.String),
  "pull-remote-secret": Schema.optional(Schema.String)
})

/**
 * A notification this object has in Quay. `fingerprint` (this operator's; the original wrote title and uuid only)
 * records what was sent, so an unchanged spec is known to be in place without asking Quay.
 */
export const NotificationStatus = Schema.Struct({
  title: Schema.optional(Schema.String),
  uuid: Schema.optional(Schema.String),
  fingerprint: Schema.optional(Schema.String)
})
export type NotificationStatus = typeof NotificationStatus.Type

export const ImageRepositoryStatus = Schema.Struct({
  state: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  image: Schema.optional(ImageStatus),
  credentials: Schema.optional(CredentialsStatus),
  conditions: Schema.optional(Schema.Array(Condition)),
  notifications: Schema.optional(Schema.Array(NotificationStatus)),
  /** A component repository's Component, recorded at provisioning: the labels are never read again after it. */
  component: Schema.optional(Component),
  observedGeneration: Schema.optional(Schema.Number)
})
export type ImageRepositoryStatus = typeof ImageRepositoryStatus.Type

export const ImageRepository = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.optional(ImageRepositorySpec),
  status: Schema.optional(ImageRepositoryStatus)
})
export type ImageRepository = typeof ImageRepository.Type

export const isDeleting = (ir: ImageRepository): boolean => ir.metadata.deletionTimestamp !== undefined

export const hasFinalizer = (ir: ImageRepository): boolean => (ir.metadata.finalizers ?? []).includes(finalizer)

export const isFailed = (ir: ImageRepository): boolean => ir.status?.state === "failed"
