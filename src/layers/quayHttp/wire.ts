import { Schema } from "effect"

/**
 * The parts of Quay's response bodies the client reads. Structs ignore keys they do not name, so Quay may add
 * fields freely; a missing or mistyped field we rely on means the answer is not from Quay's API.
 */

const Description = Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })

/** `GET /repository/{ns}/{name}` and the items of `GET /repository`. */
export const RepositoryBody = Schema.Struct({
  namespace: Schema.String,
  name: Schema.String,
  is_public: Schema.Boolean,
  description: Description
})
export type RepositoryBody = typeof RepositoryBody.Type

export const RepositoryPage = Schema.Struct({
  repositories: Schema.Array(RepositoryBody),
  /** Opaque; present only when more pages exist. */
  next_page: Schema.optional(Schema.NullOr(Schema.String))
})

/** Robot from create (PUT), get and regenerate; the token is redacted as soon as it is decoded. */
export const RobotBody = Schema.Struct({
  name: Schema.String,
  description: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  token: Schema.Redacted(Schema.String)
})
export type RobotBody = typeof RobotBody.Type

/** `GET /organization/{org}/robots?token=false`; tokens, if sent anyway, are not read. */
export const RobotList = Schema.Struct({
  robots: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      description: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
    })
  )
})

export const Role = Schema.Literal("read", "write", "admin")

/** `GET .../permissions/user/`: a map keyed by user or robot name, not a list. */
export const PermissionMap = Schema.Struct({
  permissions: Schema.Record({ key: Schema.String, value: Schema.Struct({ role: Role }) })
})

/** A repository notification (list items, and the create answer); the answer says `event_config`, not `eventConfig`. */
export const NotificationBody = Schema.Struct({
  uuid: Schema.String,
  title: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  event: Schema.String,
  method: Schema.String,
  config: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), { default: () => ({}) }),
  number_of_failures: Schema.optionalWith(Schema.Number, { default: () => 0 })
})
export type NotificationBody = typeof NotificationBody.Type

export const NotificationList = Schema.Struct({ notifications: Schema.Array(NotificationBody) })
