import { createHash } from "node:crypto"
import { Schema } from "effect"
import { ownerKindOf } from "./ImageRepositoryGroup.ts"
import { ObjectMeta, type OwnerKind } from "./ObjectMeta.ts"

/** What an Event is about: an ImageRepository, or a Component of the legacy flow. */
type Regarding = { readonly apiVersion?: string | undefined; readonly metadata: ObjectMeta }

export const reportingController = "image-repository-operator"

/** events.k8s.io/v1 Event, the part the operator writes and reads back to count repeats. */
export const Event = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  eventTime: Schema.String,
  series: Schema.optional(Schema.Struct({ count: Schema.Number, lastObservedTime: Schema.String })),
  reportingController: Schema.optional(Schema.String),
  reportingInstance: Schema.optional(Schema.String),
  action: Schema.optional(Schema.String),
  reason: Schema.String,
  regarding: Schema.Struct({
    apiVersion: Schema.String,
    kind: Schema.String,
    namespace: Schema.String,
    name: Schema.String,
    uid: Schema.optional(Schema.String)
  }),
  note: Schema.optional(Schema.String),
  type: Schema.Literal("Normal", "Warning")
})
export type Event = typeof Event.Type

export interface EventInput {
  readonly type: "Normal" | "Warning"
  /** CamelCase, what happened (`Provisioned`, `TokenRotated`, `DeletionGaveUp`, ...). */
  readonly reason: string
  /** What the operator did about it (`Provision`, `Rotate`, `Revert`, ...). */
  readonly action: string
  readonly note: string
}

/**
 * The Event's name: one per object, type, reason and note, as client-go's recorder aggregates, so the same
 * occurrence again becomes a `series` count on the same Event instead of a new one (no storm of identical Events).
 */
export const eventName = (ir: Regarding, input: EventInput): string =>
  `${ir.metadata.name.slice(0, 200)}.${
    createHash("sha256")
      .update([ir.metadata.uid ?? "", input.type, input.reason, input.note].join("\u0000"))
      .digest("hex")
      .slice(0, 16)
  }`

/** An Event about an object of `kind` (an ImageRepository unless told), first seen at `eventTime` (a MicroTime). */
export const about = (
  ir: Regarding,
  input: EventInput,
  eventTime: string,
  kind: OwnerKind = ownerKindOf(ir)
): Event => ({
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: { name: eventName(ir, input), namespace: ir.metadata.namespace ?? "" },
  eventTime,
  reportingController,
  reportingInstance: reportingController,
  action: input.action,
  reason: input.reason,
  regarding: {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    namespace: ir.metadata.namespace ?? "",
    name: ir.metadata.name,
    ...(ir.metadata.uid === undefined ? {} : { uid: ir.metadata.uid })
  },
  note: input.note.slice(0, 1024),
  type: input.type
})
