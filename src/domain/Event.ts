import { Schema } from "effect"
import { apiVersion, type ImageRepository, kind } from "./ImageRepository.ts"
import { ObjectMeta } from "./ObjectMeta.ts"

export const reportingComponent = "image-repository-operator"

/** The part of a core/v1 Event the operator writes: what `kubectl describe` shows under Events. */
export const Event = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  involvedObject: Schema.Struct({
    apiVersion: Schema.String,
    kind: Schema.String,
    namespace: Schema.String,
    name: Schema.String,
    uid: Schema.optional(Schema.String)
  }),
  type: Schema.Literal("Normal", "Warning"),
  reason: Schema.String,
  message: Schema.String,
  count: Schema.optional(Schema.Number),
  firstTimestamp: Schema.optional(Schema.String),
  lastTimestamp: Schema.optional(Schema.String),
  source: Schema.optional(Schema.Struct({ component: Schema.optional(Schema.String) })),
  reportingComponent: Schema.optional(Schema.String)
})
export type Event = typeof Event.Type

/** A Warning about an ImageRepository; `suffix` makes the name unique, as the apiserver requires. */
export const warning = (
  ir: ImageRepository,
  input: { readonly reason: string; readonly message: string; readonly at: string; readonly suffix: string }
): Event => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: `${ir.metadata.name.slice(0, 200)}.${input.suffix}`, namespace: ir.metadata.namespace ?? "" },
  involvedObject: {
    apiVersion,
    kind,
    namespace: ir.metadata.namespace ?? "",
    name: ir.metadata.name,
    ...(ir.metadata.uid === undefined ? {} : { uid: ir.metadata.uid })
  },
  type: "Warning",
  reason: input.reason,
  message: input.message,
  count: 1,
  firstTimestamp: input.at,
  lastTimestamp: input.at,
  source: { component: reportingComponent },
  reportingComponent
})
