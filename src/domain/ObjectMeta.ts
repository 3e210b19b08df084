import { Schema } from "effect"

/** An ownerReference, as the apiserver stores it. */
export const OwnerReference = Schema.Struct({
  apiVersion: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  uid: Schema.String,
  controller: Schema.optional(Schema.Boolean),
  blockOwnerDeletion: Schema.optional(Schema.Boolean)
})
export type OwnerReference = typeof OwnerReference.Type

/** The kind of an object the operator provisions for: what its owner references, Events and ownership marks name. */
export interface OwnerKind {
  readonly apiVersion: string
  readonly kind: string
}

/** The part of metav1.ObjectMeta the operator reads or writes. Unknown fields are never written back: all writes are merge patches. */
export const ObjectMeta = Schema.Struct({
  name: Schema.String,
  namespace: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  resourceVersion: Schema.optional(Schema.String),
  generation: Schema.optional(Schema.Number),
  creationTimestamp: Schema.optional(Schema.String),
  deletionTimestamp: Schema.optional(Schema.String),
  labels: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  annotations: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  finalizers: Schema.optional(Schema.Array(Schema.String)),
  ownerReferences: Schema.optional(Schema.Array(OwnerReference))
})
export type ObjectMeta = typeof ObjectMeta.Type

/** Identifies one namespaced object; the work queue's key. */
export interface ObjectRef {
  readonly namespace: string
  readonly name: string
}

export const refOf = (meta: ObjectMeta): ObjectRef => ({ namespace: meta.namespace ?? "", name: meta.name })

export const refKey = (ref: ObjectRef): string => `${ref.namespace}/${ref.name}`
