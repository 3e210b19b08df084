import { Schema } from "effect"
import { ObjectMeta } from "./ObjectMeta.ts"

export const dockerConfigJsonType = "kubernetes.io/dockerconfigjson"
export const dockerConfigJsonKey = ".dockerconfigjson"

/** Label on every Secret this operator writes: lets the runtime watch only its own Secrets. */
export const managedByLabel = "app.kubernetes.io/managed-by"
export const managedByValue = "image-repository-operator"
/** The original controller's marker for operator-owned Secrets, kept for compatibility. */
export const internalLabel = "appstudio.redhat.com/internal"

export const Secret = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  type: Schema.optional(Schema.String),
  data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})
export type Secret = typeof Secret.Type

/** Selects the operator's own Secrets: the only ones it watches, so its cache never holds a tenant's other Secrets. */
export const managedSecretSelector = `${managedByLabel}=${managedByValue}`
