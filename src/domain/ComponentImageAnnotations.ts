import { Either, Option, Schema } from "effect"
import { generateAnnotation, imageAnnotation } from "./Component.ts"
import { isVisibility, type Visibility } from "./Visibility.ts"

/**
 * The legacy flow's protocol, both ways: a user asks with `image.redhat.com/generate` on the Component, and the
 * operator answers in `image.redhat.com/image`, as the spec's "Legacy (deprecated) Component image repository"
 * section shows. Pure: what the annotations say, and what to write back.
 */

type Annotations = Readonly<Record<string, string>> | undefined

/** What `image.redhat.com/generate` asks for. */
export type GenerateRequest =
  /** No annotation, or `false` (the spec's example of a Component already answered): nothing to do. */
  | { readonly _tag: "None" }
  | { readonly _tag: "Generate"; readonly visibility: Visibility }
  /** Nothing is created; the message is the answer. */
  | { readonly _tag: "Invalid"; readonly message: string }

const none: GenerateRequest = { _tag: "None" }
const generate = (visibility: Visibility): GenerateRequest => ({ _tag: "Generate", visibility })
const invalid = (message: string): GenerateRequest => ({ _tag: "Invalid", message })

const expected = `expected '{"visibility": "public"}' or '{"visibility": "private"}'`

const decodeJson = Schema.decodeUnknownEither(Schema.parseJson())

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Reads the request. The bare `true` is the original's older form, and means public. */
export const generateRequest = (annotations: Annotations): GenerateRequest => {
  const value = annotations?.[generateAnnotation]
  if (value === undefined) return none
  const text = value.trim()
  if (text === "false") return none
  if (text === "true") return generate("public")
  const parsed = decodeJson(text)
  if (Either.isLeft(parsed) || !isRecord(parsed.right)) {
    return invalid(`invalid JSON in ${generateAnnotation} annotation: ${expected}`)
  }
  const visibility = parsed.right["visibility"]
  if (isVisibility(visibility)) return generate(visibility)
  if (visibility === undefined) {
    return invalid(`missing visibility field in ${generateAnnotation} annotation: ${expected}`)
  }
  const shown = typeof visibility === "string" ? visibility : JSON.stringify(visibility)
  return invalid(`invalid value: ${shown} in visibility field in ${generateAnnotation} annotation: ${expected}`)
}

/** The answer, field by field; each is omitted when empty, as the original wrote it. */
export const ImageAnswer = Schema.Struct({
  image: Schema.optional(Schema.String),
  visibility: Schema.optional(Schema.String),
  secret: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String)
})
export type ImageAnswer = typeof ImageAnswer.Type

const decodeAnswer = Schema.decodeUnknownOption(Schema.parseJson(ImageAnswer))

/** The answer on the Component; an absent or unreadable one reads as empty (nothing generated yet). */
export const imageAnswer = (annotations: Annotations): ImageAnswer =>
  Option.getOrElse(Option.flatMap(Option.fromNullable(annotations?.[imageAnnotation]), decodeAnswer), () => ({}))

/** Generated: the answer names an image and the Secret of its push credentials (the original's test). */
export const isGenerated = (answer: ImageAnswer): boolean =>
  (answer.image ?? "") !== "" && (answer.secret ?? "") !== ""

/** The annotation's value: compact JSON in the spec's field order (`image`, `visibility`, `secret`, `message`). */
export const renderImageAnswer = (answer: ImageAnswer): string =>
  JSON.stringify(
    Object.fromEntries(
      (["image", "visibility", "secret", "message"] as const).flatMap((field) => {
        const value = answer[field]
        return value === undefined || value === "" ? [] : [[field, value]]
      })
    )
  )
