import { pformat, pyRepr } from "./PythonText.ts"

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

type JsonType = "string" | "object" | "integer" | "null"

interface PropertySchema {
  readonly type: JsonType | ReadonlyArray<JsonType>
  readonly description: string
  readonly enum?: ReadonlyArray<string | null>
  readonly maxLength?: number
}

/** A request body's JSON schema, as Quay declares it (its descriptions appear in the error text). */
export interface BodySchema {
  readonly type: "object"
  readonly description: string
  readonly required?: ReadonlyArray<string>
  readonly properties: Readonly<Record<string, PropertySchema>>
}

const typeOf = (value: unknown): JsonType | "other" => {
  if (value === null) return "null"
  if (typeof value === "string") return "string"
  if (typeof value === "number" && Number.isInteger(value)) return "integer"
  if (typeof value === "object" && !Array.isArray(value)) return "object"
  return "other"
}

/** jsonschema 3.2's `str(ValidationError)`: the message, then the failing schema and instance, pretty-printed. */
const failure = (
  first: string,
  validator: string,
  schemaAt: string,
  schema: unknown,
  instanceAt: string,
  instance: unknown
): string => {
  const indented = (value: unknown) =>
    pformat(value).split("\n").map((line) => `    ${line}`).join("\n")
  return `${first}\n\nFailed validating ${pyRepr(validator)} in schema${schemaAt}:\n${indented(schema)}\n\nOn instance${instanceAt}:\n${
    indented(instance)
  }`
}

/**
 * The jsonschema ValidationError text of the violation `jsonschema.validate` reports (its best match: root errors
 * before property errors, otherwise the schema's order), or `undefined` when the body conforms.
 */
export const schemaViolation = (schema: BodySchema, body: unknown): string | undefined => {
  if (typeOf(body) !== "object" || typeof body !== "object" || body === null) {
    return failure(`${pyRepr(body)} is not of type 'object'`, "type", "", schema, "", body)
  }
  const record = body as Readonly<Record<string, unknown>>
  for (const key of schema.required ?? []) {
    if (!(key in record)) return failure(`${pyRepr(key)} is a required property`, "required", "", schema, "", body)
  }
  for (const [key, rule] of Object.entries(schema.properties)) {
    if (!(key in record)) continue
    const value = record[key]
    const where = `['properties'][${pyRepr(key)}]`
    const at = `[${pyRepr(key)}]`
    const types: ReadonlyArray<JsonType> = typeof rule.type === "string" ? [rule.type] : rule.type
    if (!types.some((t) => t === typeOf(value))) {
      return failure(`${pyRepr(value)} is not of type ${types.map(pyRepr).join(", ")}`, "type", where, rule, at, value)
    }
    if (rule.enum !== undefined && !rule.enum.some((e) => e === value)) {
      return failure(`${pyRepr(value)} is not one of ${pyRepr(rule.enum)}`, "enum", where, rule, at, value)
    }
    if (rule.maxLength !== undefined && typeof value === "string" && value.length > rule.maxLength) {
      return failure(`${pyRepr(value)} is too long`, "maxLength", where, rule, at, value)
    }
  }
  return undefined
}

/** `endpoints/api/repository.py`; `repo_kind` accepts only `image` or null on the Quay the reference observed. */
export const newRepoSchema: BodySchema = {
  type: "object",
  description: "Description of a new repository",
  required: ["repository", "visibility", "description"],
  properties: {
    repository: { type: "string", description: "Repository name" },
    visibility: {
      type: "string",
      description: "Visibility which the repository will start with",
      enum: ["public", "private"]
    },
    namespace: {
      type: "string",
      description: "Namespace in which the repository should be created. If omitted, the username of the caller is used"
    },
    description: { type: "string", description: "Markdown encoded description for the repository" },
    repo_kind: { type: ["string", "null"], description: "The kind of repository", enum: ["image", null] }
  }
}

export const repoUpdateSchema: BodySchema = {
  type: "object",
  description: "Fields which can be updated in a repository.",
  required: ["description"],
  properties: { description: { type: "string", description: "Markdown encoded description for the repository" } }
}

export const changeVisibilitySchema: BodySchema = {
  type: "object",
  description: "Change the visibility for the repository.",
  required: ["visibility"],
  properties: {
    visibility: {
      type: "string",
      description: "Visibility which the repository will start with",
      enum: ["public", "private"]
    }
  }
}

/** `endpoints/api/permission.py`. */
export const userPermissionSchema: BodySchema = {
  type: "object",
  description: "Description of a user permission.",
  required: ["role"],
  properties: { role: { type: "string", description: "Role to use for the user", enum: ["read", "write", "admin"] } }
}

/** `endpoints/api/robot.py`. */
export const createRobotSchema: BodySchema = {
  type: "object",
  description: "Optional data for creating a robot",
  properties: {
    description: { type: "string", description: "Optional text description for the robot", maxLength: 255 },
    unstructured_metadata: { type: "object", description: "Optional unstructured metadata for the robot" }
  }
}

/** `endpoints/api/repositorynotification.py`: event and method are free strings here, checked later. */
export const notificationCreateSchema: BodySchema = {
  type: "object",
  description: "Information for creating a notification on a repository",
  required: ["event", "method", "config", "eventConfig"],
  properties: {
    event: { type: "string", description: "The event on which the notification will respond" },
    method: { type: "string", description: "The method of notification (such as email or web callback)" },
    config: { type: "object", description: "JSON config information for the specific method of notification" },
    eventConfig: { type: "object", description: "JSON config information for the specific event of notification" },
    title: { type: "string", description: "The human-readable title of the notification" }
  }
}
