import { Context, type Effect, type Option, type Redacted } from "effect"
import type { Visibility } from "../domain/Visibility.ts"
import type { QuayError } from "./QuayError.ts"

export interface QuayRepository {
  readonly namespace: string
  /** Name inside the organization, e.g. `tenant-ns/component`. */
  readonly name: string
  readonly visibility: Visibility
  readonly description: string | null
}

export interface QuayRobot {
  /** Full name, `<org>+<short>`: the docker login user name. */
  readonly name: string
  readonly shortName: string
  readonly description: string
  readonly token: Redacted.Redacted<string>
}

export type QuayRobotSummary = Omit<QuayRobot, "token">

export type RepositoryRole = "read" | "write" | "admin"

/** A repository notification as Quay keeps it; `title` may be null (Quay's UI lets it be empty). */
export interface QuayNotification {
  readonly uuid: string
  readonly title: string | null
  readonly event: string
  readonly method: string
  /** The method's config as it was sent (`{url}` for a webhook, `{email}` for e-mail). */
  readonly config: Readonly<Record<string, unknown>>
  readonly numberOfFailures: number
}

export interface QuayNotificationInput {
  readonly title: string
  readonly event: string
  readonly method: string
  readonly config: Readonly<Record<string, string>>
}

/**
 * Quay's REST API (api/v1) as the programs need it, bound to one organization.
 * Semantics, not wire quirks: absent things are `Option.none()`, deleting what is absent succeeds,
 * and "already exists" is a typed error so the caller can decide whether the thing is its own.
 */
export interface Quay {
  readonly organization: string
  /** host[:port] of the registry, taken from the API URL (e.g. `quay.io`). */
  readonly registryHost: string

  readonly getRepository: (name: string) => Effect.Effect<Option.Option<QuayRepository>, QuayError>
  /** Creates the repository; `QuayRepositoryAlreadyExists` if the name is taken, `QuayPlanLimitExceeded` for a refused private one. */
  readonly createRepository: (input: {
    readonly name: string
    readonly visibility: Visibility
    readonly description: string
  }) => Effect.Effect<void, QuayError>
  /** `QuayNotFound` when the repository is absent (Quay answers 200 `null`); `QuayPlanLimitExceeded` for a refused private one. */
  readonly changeVisibility: (name: string, visibility: Visibility) => Effect.Effect<void, QuayError>
  /** Replaces the repository's description (where the ownership mark lives); `QuayNotFound` when it is absent. */
  readonly setRepositoryDescription: (name: string, description: string) => Effect.Effect<void, QuayError>
  /** Succeeds when the repository is absent. */
  readonly deleteRepository: (name: string) => Effect.Effect<void, QuayError>
  readonly listRepositories: () => Effect.Effect<ReadonlyArray<QuayRepository>, QuayError>

  readonly getRobot: (shortName: string) => Effect.Effect<Option.Option<QuayRobot>, QuayError>
  /** Creates the robot; `QuayRobotAlreadyExists` if the name is taken. */
  readonly createRobot: (shortName: string, description: string) => Effect.Effect<QuayRobot, QuayError>
  /** Replaces the robot's token; the old one stops working at once. `QuayNotFound` when absent. */
  readonly regenerateRobotToken: (shortName: string) => Effect.Effect<QuayRobot, QuayError>
  /** Succeeds when the robot is absent. Also removes its repository permissions. */
  readonly deleteRobot: (shortName: string) => Effect.Effect<void, QuayError>
  readonly listRobots: () => Effect.Effect<ReadonlyArray<QuayRobotSummary>, QuayError>

  /**
   * Upsert of a user's or robot's role on a repository; `username` is a full robot name (`org+short`).
   * `QuayNotFound` for an unknown robot. The repository must exist: Quay answers an absent one with a bare 500.
   */
  readonly setPermission: (repository: string, username: string, role: RepositoryRole) => Effect.Effect<void, QuayError>
  /** Succeeds when there is no such grant. */
  readonly deletePermission: (repository: string, username: string) => Effect.Effect<void, QuayError>
  readonly listPermissions: (repository: string) => Effect.Effect<ReadonlyMap<string, RepositoryRole>, QuayError>

  /**
   * The repository's notifications; an absent repository has none. `QuayNotFound` when the notification endpoint
   * itself answers 404 (a Quay or proxy without it).
   */
  readonly listNotifications: (repository: string) => Effect.Effect<ReadonlyArray<QuayNotification>, QuayError>
  /**
   * Creates a notification (titles are not unique: Quay never refuses a duplicate). `QuayInvalidRequest` with
   * Quay's text for a config its method refuses (no webhook URL, an e-mail address not authorized for the
   * repository); `QuayNotFound` when the endpoint answers 404. The repository must exist: Quay answers 500 otherwise.
   */
  readonly createNotification: (
    repository: string,
    input: QuayNotificationInput
  ) => Effect.Effect<QuayNotification, QuayError>
  /** Deletes one of this repository's notifications; succeeds when it has none with that uuid. */
  readonly deleteNotification: (repository: string, uuid: string) => Effect.Effect<void, QuayError>

  /**
   * Checks, without changing anything, that the operator's token reaches what the operator does (creating and
   * administering repositories, administering the organization's robots). `QuayUnauthorized` with
   * `missingPermissions` named as Quay's UI names them when one is missing.
   */
  readonly verifyAccess: () => Effect.Effect<void, QuayError>
}

export const Quay = Context.GenericTag<Quay>("image-repository-operator/Quay")
