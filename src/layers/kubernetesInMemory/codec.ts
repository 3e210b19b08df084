/** Between a kind's decoded objects and the encoded JSON the in-memory apiserver stores. */
import { Effect, Either, type ParseResult, Schema } from "effect"
import type { ObjectMeta } from "../../domain/ObjectMeta.ts"
import { type KubernetesError, KubernetesInvalid } from "../../services/KubernetesError.ts"
import type { ResourceKind } from "../../services/ResourceKind.ts"
import { parseFailurePaths } from "../parseFailurePaths.ts"
import { isRecord, metaOf, type RawObject } from "./rawObject.ts"

type Object = { readonly metadata: ObjectMeta }

/** One decoder per schema, built on first use: building a decoder costs more than most decodes. */
const decoders = new WeakMap<Schema.Schema.Any, (object: unknown) => Either.Either<unknown, ParseResult.ParseError>>()

const decoderOf = <A, I>(schema: Schema.Schema<A, I>): (object: unknown) => Either.Either<A, ParseResult.ParseError> => {
  let decoder = decoders.get(schema)
  if (decoder === undefined) {
    decoder = Schema.decodeUnknownEither(schema)
    decoders.set(schema, decoder)
  }
  return decoder as (object: unknown) => Either.Either<A, ParseResult.ParseError>
}

export const decode = <A extends Object, I>(kind: ResourceKind<A, I>) => {
  const decoder = decoderOf(kind.schema)
  return (object: RawObject): Effect.Effect<A, KubernetesError> =>
    Either.match(decoder(object), {
      onLeft: (e) =>
        Effect.fail(
          new KubernetesInvalid({
            kind: kind.kind,
            name: String(metaOf(object)["name"] ?? ""),
            detail: `stored object does not decode: ${parseFailurePaths(e)}`
          })
        ),
      onRight: Effect.succeed
    })
}

export const encode = <A extends Object, I>(kind: ResourceKind<A, I>, object: A): Effect.Effect<RawObject, KubernetesError> =>
  Schema.encode(kind.schema)(object).pipe(
    Effect.mapError((e) =>
      new KubernetesInvalid({ kind: kind.kind, name: object.metadata.name, detail: `does not encode: ${parseFailurePaths(e)}` })
    ),
    Effect.flatMap((encoded) =>
      isRecord(encoded)
        ? Effect.succeed(encoded)
        : Effect.fail(new KubernetesInvalid({ kind: kind.kind, name: object.metadata.name, detail: "not an object" }))
    )
  )

/** The patched object must still be one of its kind, as the apiserver's schema demands. */
export const admitAs = <A extends Object, I>(kind: ResourceKind<A, I>) => {
  const check = decoderOf(kind.schema)
  return (object: RawObject): string | undefined =>
    Either.match(check(object), {
      onLeft: (e) => `the patched object is malformed: ${parseFailurePaths(e)}`,
      onRight: () => undefined
    })
}
