/**
 * The checks Quay applies to names and JSON bodies, with its own messages: name regexes from
 * `util/names.py`/`util/validation.py`, and jsonschema 3.2's error texts for the request schemas.
 */

/** Extended (nested) repository names, `FEATURE_EXTENDED_REPOSITORY_NAMES` (default on). */
export const repositoryNamePattern = /^(?=.{0,255}$)[a-z0-9][.a-z0-9_-]*(?:\/[a-z0-9][.a-z0-9_-]*)*$/

/** `validate_username`, used for robot short names. */
export const usernamePattern = /^([a-z0-9]+(?:[._-][a-z0-9]+)*)$/
export const minUsernameLength = 2
export const maxUsernameLength = 255

/** `None` when valid, else Quay's reason text. */
export const usernameIssue = (name: string): string | undefined => {
  if (!usernamePattern.test(name)) return `Namespace must match expression ${usernamePattern.source}`
  if (name.length < minUsernameLength || name.length > maxUsernameLength) {
    return `Namespace must be between ${minUsernameLength} and ${maxUsernameLength} characters in length`
  }
  return undefined
}

/** Python's repr of a JSON value, as jsonschema prints instances in its messages. */
export const pyRepr = (value: unknown): string => {
  if (value === null || value === undefined) return "None"
  if (value === true) return "True"
  if (value === false) return "False"
  if (typeof value === "string") return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`
  if (typeof value === "number") return String(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(", ")}}`
  }
  return String(value)
}

type JsonType = "string" | "object" | "integer"

interface PropertyRule {
  readonly type: ReadonlyArray<JsonType | "null">
  readonly enum?: ReadonlyArray<string | null>
  readonly maxLength?: number
}

export interface BodySchema {
  readonly name: string
  readonly required: ReadonlyArray<string>
  readonly properties: Readonly<Record<string, PropertyRule>>
}

const typeOf = (value: unknown): JsonType | "null" | "other" => {
  if (value === null) return "null"
  if (typeof value === "string") return "string"
  if (typeof value === "number" && Number.isInteger(value)) return "integer"
  if (typeof value === "object" && !Array.isArray(value)) return "object"
  return "other"
}

const failure = (first: string, validator: string, schemaAt: string, instanceAt: string, instance: unknown): string =>
  `${first}\n\nFailed validating '${validator}' in schema${schemaAt}:\n    ...\n\nOn instance${instanceAt}:\n    ${pyRepr(instance)}`

/** The jsonschema ValidationError text for the first violation, or `undefined` when the body conforms. */
export const schemaViolation = (schema: BodySchema, body: unknown): string | undefined => {
  if (typeOf(body) !== "object" || typeof body !== "object" || body === null) {
    return failure(`${pyRepr(body)} is not of type 'object'`, "type", "", "", body)
  }
  const record = body as Readonly<Record<string, unknown>>
  for (const key of schema.required) {
    if (!(key in record)) return failure(`'${key}' is a required property`, "required", "", "", body)
  }
  for (const [key, rule] of Object.entries(schema.properties)) {
    if (!(key in record)) continue
    const value = record[key]
    const where = `['properties'][${pyRepr(key)}]`
    const at = `[${pyRepr(key)}]`
    const actual = typeOf(value)
    if (!rule.type.some((t) => t === actual)) {
      const expected = rule.type.length === 1 ? pyRepr(rule.type[0]) : pyRepr(rule.type)
      return failure(`${pyRepr(value)} is not of type ${expected}`, "type", where, at, value)
    }
    if (rule.enum !== undefined && !rule.enum.some((e) => e === value)) {
      return failure(`${pyRepr(value)} is not one of ${pyRepr(rule.enum)}`, "enum", where, at, value)
    }
    if (rule.maxLength !== undefined && typeof value === "string" && value.length > rule.maxLength) {
      return failure(`${pyRepr(value)} is too long`, "maxLength", where, at, value)
    }
  }
  return undefined
}

export const newRepoSchema: BodySchema = {
  name: "NewRepo",
  required: ["repository", "visibility", "description"],
  properties: {
    repository: { type: ["string"] },
    visibility: { type: ["string"], enum: ["public", "private"] },
    namespace: { type: ["string"] },
    description: { type: ["string"] },
    repo_kind: { type: ["string", "null"], enum: ["image", "application", null] }
  }
}

export const repoUpdateSchema: BodySchema = {
  name: "RepoUpdate",
  required: ["description"],
  properties: { description: { type: ["string"] } }
}

export const changeVisibilitySchema: BodySchema = {
  name: "ChangeVisibility",
  required: ["visibility"],
  properties: { visibility: { type: ["string"], enum: ["public", "private"] } }
}

export const userPermissionSchema: BodySchema = {
  name: "UserPermission",
  required: ["role"],
  properties: { role: { type: ["string"], enum: ["read", "write", "admin"] } }
}

export const createRobotSchema: BodySchema = {
  name: "CreateRobot",
  required: [],
  properties: {
    description: { type: ["string"], maxLength: 255 },
    unstructured_metadata: { type: ["object"] }
  }
}
