/** Between a kind's decoded objects and the apiserver's JSON; what the schema refuses is reported, never thrown. */
import { Effect, Either, type ParseResult, Option, Schema } from "effect"
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

type Decode = (raw: unknown) => Either.Either<unknown, ParseResult.ParseError>
type Encode = (object: unknown) => Either.Either<unknown, ParseResult.ParseError>

// One synchronous decoder and encoder per kind, built once: every watch event and answer goes through them, and the
// Either form skips the fiber machinery of the Effect form (the schemas have no asynchronous parts).
const decoders = new WeakMap<object, Decode>()
const encoders = new WeakMap<object, Encode>()

const decoderOf = <A, I>(kind: ResourceKind<A & Object, I>): Decode => {
  const known = decoders.get(kind)
  if (known !== undefined) return known
  const decode: Decode = Schema.decodeUnknownEither(kind.schema)
  decoders.set(kind, decode)
  return decode
}

const encoderOf = <A, I>(kind: ResourceKind<A & Object, I>): Encode => {
  const known = encoders.get(kind)
  if (known !== undefined) return known
  const encode = Schema.encodeEither(kind.schema) as Encode
  encoders.set(kind, encode)
  return encode
}

/** Decodes one object with its kind's schema. */
export const decodeObject = <A extends Object, I>(
  kind: ResourceKind<A, I>,
  raw: unknown
): Either.Either<A, KubernetesInvalid> =>
  Either.mapBoth(decoderOf(kind)(raw), {
    onLeft: (error) =>
      new KubernetesInvalid({
        kind: kind.kind,
        name: nameOf(raw),
        detail: `the stored object does not match the ${kind.kind} schema at ${parseFailurePaths(error)}`
      }),
    // The decoder is the kind's schema's: what it answers is an A.
    onRight: (decoded) => decoded as A
  })

/** The wire form: the schema's encoding plus apiVersion/kind, which the apiserver requires. */
export const encodeObject = <A extends Object, I>(
  kind: ResourceKind<A, I>,
  object: A
): Either.Either<unknown, KubernetesInvalid> =>
  Either.mapBoth(encoderOf(kind)(object), {
    onLeft: (error) =>
      new KubernetesInvalid({ kind: kind.kind, name: object.metadata.name, detail: `cannot encode: ${parseFailurePaths(error)}` }),
    onRight: (encoded) => ({ ...(encoded as object), apiVersion: apiVersionOf(kind), kind: kind.kind })
  })

/** Decodes list items and watch objects: a single undecodable object is logged and skipped, not fatal to the rest. */
export const decodeOrSkip = <A extends Object, I>(kind: ResourceKind<A, I>, raw: unknown): Effect.Effect<Option.Option<A>> => {
  const decoded = decodeObject(kind, raw)
  return Either.isRight(decoded)
    ? Effect.succeed(Option.some(decoded.right))
    : Effect.logWarning("skipping an object that does not decode").pipe(
      Effect.annotateLogs({ kind: kind.kind, name: decoded.left.name, detail: decoded.left.detail }),
      Effect.as(Option.none<A>())
    )
}

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
