import type { BodySchema } from "../QuayValidation.ts"
import { schemaViolation } from "../QuayValidation.ts"
import * as Wire from "../QuayWire.ts"
import type { QuayAnswer, QuayRequest } from "../QuayWire.ts"
import type { Caller } from "./state.ts"

/** One API request as the endpoint handlers see it: who asks, and the route's path parameters. */
export interface RequestContext {
  readonly request: QuayRequest
  readonly host: string
  readonly caller: Caller | undefined
  readonly query: URLSearchParams
  readonly params: ReadonlyArray<string>
}

/** Flask-RESTful's `truthy_bool` for query parameters. */
export const truthy = (value: string | null, fallback: boolean): boolean =>
  value === null ? fallback : !["false", "0", "", "f", "n", "no"].includes(value.toLowerCase())

export type BodyResult =
  | { readonly _tag: "Body"; readonly value: unknown }
  | { readonly _tag: "Rejected"; readonly answer: QuayAnswer }

/** Flask's `request.get_json()` for a required body, then the endpoint's JSON schema. */
export const requiredBody = (request: QuayRequest, host: string, schema: BodySchema): BodyResult => {
  const mime = (request.contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? ""
  const isJson = mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"))
  if (!isJson) return { _tag: "Rejected", answer: Wire.unsupportedMediaType }
  let value: unknown
  try {
    value = JSON.parse(request.body ?? "")
  } catch {
    return { _tag: "Rejected", answer: Wire.malformedJson }
  }
  if (value === null) return { _tag: "Rejected", answer: Wire.invalidRequest(host, "Missing JSON body") }
  const violation = schemaViolation(schema, value)
  return violation === undefined
    ? { _tag: "Body", value }
    : { _tag: "Rejected", answer: Wire.invalidRequest(host, violation) }
}

/** `get_json(silent=True)` for an optional body: anything that is not JSON counts as `{}`. */
export const optionalBody = (request: QuayRequest, host: string, schema: BodySchema): BodyResult => {
  let value: unknown = {}
  const mime = (request.contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? ""
  if (mime === "application/json" && request.body !== undefined && request.body !== "") {
    try {
      value = JSON.parse(request.body) ?? {}
    } catch {
      value = {}
    }
  }
  const violation = schemaViolation(schema, value)
  return violation === undefined
    ? { _tag: "Body", value }
    : { _tag: "Rejected", answer: Wire.invalidRequest(host, violation) }
}

export const field = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null && key in body ? (body as Record<string, unknown>)[key] : undefined

/** Werkzeug's 308 to the same URL with a trailing slash, built from the request's own host. */
export const slashRedirect = (request: QuayRequest, fallbackHost: string): QuayAnswer => {
  const query = request.query?.toString() ?? ""
  return Wire.permanentRedirect(`http://${request.host ?? fallbackHost}${request.path}/${query === "" ? "" : `?${query}`}`)
}
