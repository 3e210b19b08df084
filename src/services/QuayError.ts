import { Data } from "effect"

/** The permissions (as Quay's UI names them when a token is generated) the operator's token needs. */
export const requiredPermissions = ["Administer Organization", "Administer Repositories", "Create Repositories"] as const

const requiredPermissionsText = requiredPermissions.map((p) => `"${p}"`).join(", ")

/**
 * Quay's answers, typed. Each carries what the programs need to classify it; none carries a token.
 * `transient` errors are worth retrying (rate limits, 5xx, network, timeouts, proxy pages).
 */
export class QuayRepositoryAlreadyExists extends Data.TaggedError("QuayRepositoryAlreadyExists")<{
  readonly repository: string
}> {
  readonly transient = false
  override get message(): string {
    return `Quay repository '${this.repository}' already exists`
  }
}

export class QuayRobotAlreadyExists extends Data.TaggedError("QuayRobotAlreadyExists")<{
  readonly robot: string
}> {
  readonly transient = false
  override get message(): string {
    return `Quay robot account '${this.robot}' already exists`
  }
}

/** 402: the organization's plan allows no (more) private repositories. */
export class QuayPlanLimitExceeded extends Data.TaggedError("QuayPlanLimitExceeded")<{
  readonly repository: string
}> {
  readonly transient = false
  override get message(): string {
    return `Quay organization plan private repositories limit exceeded (repository '${this.repository}')`
  }
}

/** The repository or robot the call addresses does not exist (Quay says 404, or 400 "Could not find robot"). */
export class QuayNotFound extends Data.TaggedError("QuayNotFound")<{
  readonly resource: string
}> {
  readonly transient = false
  override get message(): string {
    return `Quay has no ${this.resource}`
  }
}

/**
 * 401/403: the operator's token is missing, invalid, or lacks a scope; or (no status) the token file cannot be read.
 * An operator configuration problem. A 403 `insufficient_scope` names the permission the call needed, by the name
 * Quay's UI shows when the token is generated.
 */
export class QuayUnauthorized extends Data.TaggedError("QuayUnauthorized")<{
  readonly status?: number
  readonly detail: string
  /** Quay answered 403 `insufficient_scope`: the token's scopes (or its user's roles) do not reach the call. */
  readonly insufficientScope?: boolean
  /** The permissions the refused call (or the start-up check) needs, e.g. `Create Repositories`. */
  readonly missingPermissions?: ReadonlyArray<string>
}> {
  readonly transient = false
  override get message(): string {
    if (this.status === undefined) return `the operator's Quay token is unusable: ${this.detail}`
    const missing = this.missingPermissions ?? []
    if (missing.length > 0) {
      const names = missing.map((p) => `"${p}"`).join(" and ")
      return `Quay refused the operator's token (HTTP ${this.status}): it lacks the ${names} ` +
        `permission${missing.length > 1 ? "s" : ""}. Generate the organization's token with ${requiredPermissionsText}, ` +
        "by a user who administers the organization"
    }
    return `Quay refused the operator's token (HTTP ${this.status}): ${this.detail}`
  }
}

/** Any other 4xx: Quay rejected the request itself. */
export class QuayInvalidRequest extends Data.TaggedError("QuayInvalidRequest")<{
  readonly status: number
  readonly detail: string
}> {
  readonly transient = false
  override get message(): string {
    return `Quay rejected the request (HTTP ${this.status}): ${this.detail}`
  }
}

/** 429 (Quay sends no Retry-After, but a proxy may). */
export class QuayRateLimited extends Data.TaggedError("QuayRateLimited")<{
  readonly retryAfterSeconds?: number
}> {
  readonly transient = true
  override get message(): string {
    return "Quay rate limit reached (HTTP 429)"
  }
}

/** 5xx, network failure, timeout, or a body that is not what Quay's API sends. */
export class QuayUnavailable extends Data.TaggedError("QuayUnavailable")<{
  readonly status?: number
  readonly detail: string
}> {
  readonly transient = true
  override get message(): string {
    return this.status === undefined
      ? `Quay is unreachable: ${this.detail}`
      : `Quay is unavailable (HTTP ${this.status}): ${this.detail}`
  }
}

export type QuayError =
  | QuayRepositoryAlreadyExists
  | QuayRobotAlreadyExists
  | QuayPlanLimitExceeded
  | QuayNotFound
  | QuayUnauthorized
  | QuayInvalidRequest
  | QuayRateLimited
  | QuayUnavailable

/** Every QuayError's tag: what `isQuayError` recognises, whatever else a union holds. */
export const quayErrorTags: ReadonlySet<string> = new Set<QuayError["_tag"]>([
  "QuayRepositoryAlreadyExists",
  "QuayRobotAlreadyExists",
  "QuayPlanLimitExceeded",
  "QuayNotFound",
  "QuayUnauthorized",
  "QuayInvalidRequest",
  "QuayRateLimited",
  "QuayUnavailable"
])

/** Narrows a union of tagged errors to its Quay errors. */
export const isQuayError = <E extends { readonly _tag: string }>(e: E): e is Extract<E, QuayError> =>
  quayErrorTags.has(e._tag)
