import { Either, Schema } from "effect"
import {
  QuayInvalidRequest,
  QuayNotFound,
  QuayRateLimited,
  QuayUnauthorized,
  QuayUnavailable,
  type QuayError
} from "../../services/QuayError.ts"

/**
 * Reading Quay's answers: the body shapes of the endpoints the operator uses, and the classification of
 * a status + body into the contract's typed errors. Pure; independent of how the answer travelled.
 */

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** The body as JSON whatever the Content-Type (`util.http.abort` sends JSON as text/html), else undefined. */
export const parseBody = (answer: Answer): unknown => {
  if (answer.body.trim() === "") return undefined
  try {
    return JSON.parse(answer.body)
  } catch {
    return undefined
  }
}

const textField = (body: unknown, key: string): string | undefined => {
  if (typeof body !== "object" || body === null || !(key in body)) return undefined
  const value = (body as Record<string, unknown>)[key]
  return typeof value === "string" && value !== "" ? value : undefined
}

/** Quay's error text, from whichever of its four error shapes this is (error_message, message, error, detail). */
export const errorText = (answer: Answer): string => {
  const body = parseBody(answer)
  const text = textField(body, "error_message") ?? textField(body, "message") ?? textField(body, "error") ??
    textField(body, "detail")
  if (text !== undefined) return text.split("\n")[0] ?? text
  return body === undefined && answer.body.trim() !== "" ? "non-JSON response" : `HTTP ${answer.status}`
}

const retryAfter = (answer: Answer): number | undefined => {
  const value = answer.headers["retry-after"]
  if (value === undefined) return undefined
  const seconds = Number(value)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined
}

/** The contract error for an answer no operation-specific rule claimed. */
export const classify = (answer: Answer, resource: string): QuayError => {
  const { status } = answer
  const detail = errorText(answer)
  if (status === 401 || status === 403) return new QuayUnauthorized({ status, detail })
  if (status === 404) return new QuayNotFound({ resource })
  if (status === 429) {
    const seconds = retryAfter(answer)
    return seconds === undefined ? new QuayRateLimited({}) : new QuayRateLimited({ retryAfterSeconds: seconds })
  }
  if (status >= 500) return new QuayUnavailable({ status, detail })
  if (status >= 400) return new QuayInvalidRequest({ status, detail })
  return new QuayUnavailable({ status, detail: `unexpected HTTP ${status} response` })
}

/** Decodes a success body, or says the answer is not what Quay's API sends. */
export const decodeBody = <A, I>(schema: Schema.Schema<A, I>, answer: Answer): Either.Either<A, QuayUnavailable> =>
  Schema.decodeUnknownEither(schema)(parseBody(answer)).pipe(
    Either.mapLeft(() => new QuayUnavailable({ status: answer.status, detail: "unexpected response body" }))
  )

// ---------------------------------------------------------------------------------------------------
// Body shapes (only the fields the operator reads; Quay sends more)

/** `GET /api/v1/repository/{ns}/{name}` */
export const RepositoryView = Schema.Struct({
  namespace: Schema.String,
  name: Schema.String,
  is_public: Schema.Boolean,
  description: Schema.NullOr(Schema.String)
})

/** `GET /api/v1/repository?namespace=…` */
export const RepositoryList = Schema.Struct({
  repositories: Schema.Array(
    Schema.Struct({
      namespace: Schema.String,
      name: Schema.String,
      is_public: Schema.Boolean,
      description: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
    })
  ),
  next_page: Schema.optional(Schema.String)
})

/** Robot from get/create/regenerate (with token) and list entries (token only when shown). */
export const RobotView = Schema.Struct({
  name: Schema.String,
  description: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  token: Schema.optional(Schema.String)
})

export const RobotList = Schema.Struct({ robots: Schema.Array(RobotView) })

export const Role = Schema.Literal("read", "write", "admin")

/** `GET .../permissions/user/`: a map keyed by user name, not a list. */
export const PermissionMap = Schema.Struct({
  permissions: Schema.Record({ key: Schema.String, value: Schema.Struct({ role: Role }) })
})

// ---------------------------------------------------------------------------------------------------
// Quirk recognisers

export const isRepositoryAlreadyExists = (answer: Answer): boolean =>
  answer.status === 400 && errorText(answer) === "Repository already exists"

export const isRobotNotFound = (answer: Answer): boolean =>
  answer.status === 400 && errorText(answer).includes("Could not find robot")

export const isExistingRobot = (answer: Answer): boolean =>
  answer.status === 400 && errorText(answer).startsWith("Existing robot with name")

export const isNoSuchGrant = (answer: Answer): boolean =>
  answer.status === 400 && errorText(answer).startsWith("User does not have permission for repo")

export const isInvalidUsername = (answer: Answer): boolean =>
  answer.status === 400 && errorText(answer).startsWith("Invalid username")
