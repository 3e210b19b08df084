/** Between a kind's decoded objects and the apiserver's JSON; what the schema refuses is reported, never thrown. */
import { Effect, Option, Schema } from "effect"
import type { ObjectMeta } from "../../domain/ObjectMeta.ts"
import { KubernetesInvalid, KubernetesUnavailable } from "../../services/KubernetesError.ts"
import { apiVersionOf, type ResourceKind } from "../../services/ResourceKind.ts"
import { parseFailurePaths } from "../parseFailurePaths.ts"

type Object = { readonly metadata: ObjectMeta }

const nameOf = (raw: unknown): string => {
  if (typeof raw !== "object" || raw === null || !("metadata" in raw)) return "<unnamed>"
  const metadata = raw.metadata
  if (typeof metadata !== "object" || metadata === null || !("name" in metadata)) return "<unnamed>"
  const name = metadata.name
  return typeof name === "string" ? name : "<unnamed>"
}

/** Decodes one object with its kind's schema. */
export const decodeObject = <A extends Object, I>(
  kind: ResourceKind<A, I>,
  raw: unknown
): Effect.Effect<A, KubernetesInvalid> =>
  Schema.decodeUnknown(kind.schema)(raw).pipe(
    Effect.mapError((error) =>
      new KubernetesInvalid({
        kind: kind.kind,
        name: nameOf(raw),
        detail: `the stored object does not match the ${kind.kind} schema at ${parseFailurePaths(error)}`
      })
    )
  )

/** The wire form: the schema's encoding plus apiVersion/kind, which the apiserver requires. */
export const encodeObject = <A extends Object, I>(
  kind: ResourceKind<A, I>,
  object: A
): Effect.Effect<unknown, KubernetesInvalid> =>
  Schema.encode(kind.schema)(object).pipe(
    Effect.map((encoded) => ({ ...(encoded as object), apiVersion: apiVersionOf(kind), kind: kind.kind })),
    Effect.mapError((error) =>
      new KubernetesInvalid({ kind: kind.kind, name: object.metadata.name, detail: `cannot encode: ${parseFailurePaths(error)}` })
    )
  )

/** Decodes list items and watch objects: a single undecodable object is logged and skipped, not fatal to the rest. */
export const decodeOrSkip = <A extends Object, I>(kind: ResourceKind<A, I>, raw: unknown): Effect.Effect<Option.Option<A>> =>
  decodeObject(kind, raw).pipe(
    Effect.map(Option.some),
    Effect.catchAll((error) =>
      Effect.logWarning("skipping an object that does not decode").pipe(
        Effect.annotateLogs({ kind: kind.kind, name: error.name, detail: error.detail }),
        Effect.as(Option.none<A>())
      )
    )
  )

const listPage = Schema.Struct({
  metadata: Schema.optional(
    Schema.Struct({ resourceVersion: Schema.optional(Schema.String), continue: Schema.optional(Schema.String) })
  ),
  items: Schema.optional(Schema.Array(Schema.Unknown))
})

export type ListPage = typeof listPage.Type

/** One page of a list: its items still raw, so each can be decoded (or skipped) alone. */
export const decodeListPage = (kind: { readonly kind: string }, raw: unknown): Effect.Effect<ListPage, KubernetesUnavailable> =>
  Schema.decodeUnknown(listPage)(raw).pipe(
    Effect.mapError((error) => new KubernetesUnavailable({ detail: `malformed ${kind.kind} list at ${parseFailurePaths(error)}` }))
  )
