import { Schema } from "effect"
import { ObjectMeta } from "./ObjectMeta.ts"

export const LocalObjectReference = Schema.Struct({ name: Schema.String })

export const ServiceAccount = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  secrets: Schema.optional(Schema.Array(LocalObjectReference)),
  imagePullSecrets: Schema.optional(Schema.Array(LocalObjectReference))
})
export type ServiceAccount = typeof ServiceAccount.Type
