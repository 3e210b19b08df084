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

export const ImageRepositorySpec = Schema.Struct({
  image: Schema.optional(ImageSpec),
  credentials: Schema.optional(CredentialsSpec)
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
  "pull-secret": Schema.optional(Schema.String)
})

export const ImageRepositoryStatus = Schema.Struct({
  state: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  image: Schema.optional(ImageStatus),
  credentials: Schema.optional(CredentialsStatus),
  conditions: Schema.optional(Schema.Array(Condition)),
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
