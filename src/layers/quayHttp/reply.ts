import { Effect, Either, ParseResult, Schema } from "effect"
import {
  type QuayError,
  QuayInvalidRequest,
  QuayNotFound,
  QuayRateLimited,
  QuayUnauthorized,
  QuayUnavailable
} from "../../services/QuayError.ts"

/** One HTTP answer from Quay, read in full (within the size cap). */
export interface QuayReply {
  readonly status: number
  /** The body as text; may hold robot tokens, so it never goes into an error or a log. */
  readonly body: string
  /** Short, secret-free description of the body for error details (Quay's error text, or what the body looks like). */
  readonly summary: string
  readonly retryAfterSeconds: number | undefined
}

const maxDetailLength = 200

const clip = (text: string): string => {
  const firstLine = text.trim().split(/\r?\n/, 1)[0] ?? ""
  return firstLine.length > maxDetailLength ? `${firstLine.slice(0, maxDetailLength)}…` : firstLine
}

const parseJson = (body: string): Either.Either<unknown, void> =>
  Either.try({ try: () => JSON.parse(body) as unknown, catch: () => undefined })

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Quay's four error shapes put the text in different keys; this is the order that finds the most specific one. */
const errorKeys = ["error_message", "message", "error", "detail"] as const

/** Quay's error text if the body is one of its error shapes. */
export const errorMessage = (body: string): string | undefined => {
  const json = parseJson(body)
  if (Either.isLeft(json) || !isRecord(json.right)) return undefined
  for (const key of errorKeys) {
    const value = json.right[key]
    if (typeof value === "string" && value.trim() !== "") return value
  }
  return undefined
}

/**
 * A one-line description of a body for an error detail: Quay's own error text when there is one, otherwise what
 * the body looks like (HTML page with its title, empty, not JSON). Known secrets are cut out, in case a proxy
 * echoes a header back.
 */
export const summarize = (body: string, secrets: ReadonlyArray<string>): string => {
  const scrub = (text: string) =>
    secrets.reduce((acc, secret) => (secret === "" ? acc : acc.split(secret).join("<redacted>")), text)
  const bytes = Buffer.byteLength(body)
  if (body.trim() === "") return "empty body"
  const message = errorMessage(body)
  if (message !== undefined) return clip(scrub(message))
  if (/^\s*</.test(body)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1]?.trim()
    return title === undefined || title === "" ? `HTML page (${bytes} bytes)` : `HTML page '${clip(scrub(title))}'`
  }
  return Either.isRight(parseJson(body)) ? `JSON body without an error message (${bytes} bytes)` : `non-JSON body (${bytes} bytes)`
}

/** The `error_type` of an ApiException body (e.g. `insufficient_scope`), if the body is one. */
const errorType = (body: string): string | undefined => {
  const json = parseJson(body)
  if (Either.isLeft(json) || !isRecord(json.right)) return undefined
  const value = json.right["error_type"]
  return typeof value === "string" ? value : undefined
}

/** True when Quay's error text contains `text` (the way Quay's dedicated 400s are told apart). */
export const says = (reply: QuayReply, text: string): boolean => errorMessage(reply.body)?.includes(text) === true

/**
 * Failures every endpoint shares: a refused token, a rate limit, a server or proxy failure.
 * Everything else is for the operation to interpret.
 */
export const commonFailure = (reply: QuayReply): QuayError | undefined => {
  if (reply.status === 401 || reply.status === 403) {
    return new QuayUnauthorized({
      status: reply.status,
      detail: reply.summary,
      ...(reply.status === 403 && errorType(reply.body) === "insufficient_scope" ? { insufficientScope: true } : {})
    })
  }
  if (reply.status === 429) {
    return reply.retryAfterSeconds === undefined
      ? new QuayRateLimited({})
      : new QuayRateLimited({ retryAfterSeconds: reply.retryAfterSeconds })
  }
  if (reply.status >= 500) return new QuayUnavailable({ status: reply.status, detail: reply.summary })
  return undefined
}

/**
 * An answer the operation has no specific meaning for: a 404 says what it addresses is missing, another 4xx is
 * Quay refusing the request, anything else is not Quay's API.
 */
export const unexpected = (reply: QuayReply, resource: string): QuayError =>
  reply.status === 404
    ? new QuayNotFound({ resource })
    : reply.status >= 400 && reply.status < 500
    ? new QuayInvalidRequest({ status: reply.status, detail: reply.summary })
    : reply.status >= 300 && reply.status < 400
    ? new QuayInvalidRequest({ status: reply.status, detail: `unexpected redirect (${reply.summary})` })
    : new QuayUnavailable({ status: reply.status, detail: `unexpected HTTP ${reply.status} (${reply.summary})` })

/**
 * Decodes a JSON body. The detail names only the fields that failed, never their values:
 * a robot body that fails to decode still holds a token.
 */
export const decode = <A, I>(schema: Schema.Schema<A, I>, reply: QuayReply): Effect.Effect<A, QuayUnavailable> => {
  if (reply.body.trim() === "") {
    return Effect.fail(new QuayUnavailable({ status: reply.status, detail: "empty body where JSON was expected" }))
  }
  const json = parseJson(reply.body)
  if (Either.isLeft(json)) {
    return Effect.fail(new QuayUnavailable({ status: reply.status, detail: `malformed JSON: ${reply.summary}` }))
  }
  return Schema.decodeUnknown(schema)(json.right).pipe(
    Effect.mapError((error) => {
      const fields = [...new Set(ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.path.join(".") || "(root)"))]
      return new QuayUnavailable({
        status: reply.status,
        detail: `unexpected body shape (field ${clip(fields.slice(0, 5).join(", "))})`
      })
    })
  )
}

/** The body is the JSON literal `null` (Quay's answer to changevisibility on a missing repository). */
export const isJsonNull = (reply: QuayReply): boolean => {
  const json = parseJson(reply.body)
  return Either.isRight(json) && json.right === null
}
