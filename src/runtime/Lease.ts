import { Schema } from "effect"
import { ObjectMeta } from "../domain/ObjectMeta.ts"
import { resourceKind } from "../services/ResourceKind.ts"

/**
 * coordination.k8s.io/v1 LeaseSpec. Fields are nullable as well as optional: a Lease written by another
 * client (or released by client-go) may carry nulls, and the election must still read it.
 */
export const LeaseSpec = Schema.Struct({
  holderIdentity: Schema.optional(Schema.NullOr(Schema.String)),
  leaseDurationSeconds: Schema.optional(Schema.NullOr(Schema.Number)),
  /** MicroTime: RFC 3339 with exactly six fractional digits. */
  acquireTime: Schema.optional(Schema.NullOr(Schema.String)),
  renewTime: Schema.optional(Schema.NullOr(Schema.String)),
  leaseTransitions: Schema.optional(Schema.NullOr(Schema.Number))
})
export type LeaseSpec = typeof LeaseSpec.Type

export const Lease = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.optional(LeaseSpec)
})
export type Lease = typeof Lease.Type

export const LeaseKind = resourceKind({
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  plural: "leases",
  statusSubresource: false,
  schema: Lease
})
