import { randomUUID } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { Visibility } from "../domain/Visibility.ts"
import { Quay as QuayTag } from "../services/Quay.ts"
import type { Quay } from "../services/Quay.ts"
import { type QuayError, QuayUnavailable } from "../services/QuayError.ts"
import type { FaultKind } from "../simulator/QuayFaults.ts"
import { QuayModel, type Access, type ModelSnapshot, type Plan, type RequestCounts } from "../simulator/QuayModel.ts"
import { makeQuayClient, type QuayOperation } from "./quayHttp/client.ts"
import { commonFailure, type QuayReply, summarize } from "./quayHttp/reply.ts"
import type { QuayRequest } from "./quayHttp/request.ts"

/**
 * The `Quay` service over an in-memory Quay: the live layer's own client (`quayHttp/client.ts`: every
 * operation's request, the reading of its answer, its span) with a `send` that asks the shared `QuayModel`
 * (the simulator's model too) instead of the network, so the two layers cannot disagree about what a request
 * is or what an answer means. Nothing hangs, nothing is retried (the work queue retries), nothing touches the
 * network.
 */

export interface QuayInMemoryOptions {
  readonly organization: string
  /** Default `quay.io`. */
  readonly registryHost?: string
  /** Default `paid` (no private-repository limit). */
  readonly plan?: Plan
}

/** The `Quay` operations, as counted by `QuayControl.calls`. */
export type { QuayOperation }

export interface QuayCalls {
  readonly total: number
  readonly byOperation: Readonly<Partial<Record<QuayOperation, number>>>
}

export interface QuayFaultOptions {
  readonly kind: FaultKind
  /** Fail exactly the next N requests. */
  readonly next?: number
  /** Then fail this fraction (0..1) of requests. */
  readonly rate?: number
  /** Source of draws for `rate` (default Math.random), for deterministic tests. */
  readonly random?: () => number
}

/** Test controls of an in-memory Quay: observe it, break it, and change it behind the operator's back. */
export interface QuayControl {
  readonly organization: string
  /** The shared model itself, for anything the helpers below do not cover. */
  readonly model: QuayModel
  /** Repositories (with grants), robots (never tokens) and permissions of the whole server. */
  readonly snapshot: Effect.Effect<ModelSnapshot>
  /**
   * Whether registry credentials may push/pull `repository` (a name inside the organization, as in `Quay`).
   * Robots: write/admin → push+pull, read → pull; public repositories → anyone may pull.
   */
  readonly authorize: (
    username: string,
    token: Redacted.Redacted<string>,
    repository: string,
    access: Access
  ) => Effect.Effect<boolean>
  /** The robot's current token, to compare with what a Secret holds. */
  readonly robotToken: (shortName: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>>
  readonly setPlan: (plan: Plan) => Effect.Effect<void>
  readonly injectFaults: (faults: QuayFaultOptions) => Effect.Effect<void>
  readonly clearFaults: Effect.Effect<void>
  /** `Quay` operations invoked (a paged list is one call), by operation and in total. */
  readonly calls: Effect.Effect<QuayCalls>
  /** HTTP requests the model answered, by endpoint and status. */
  readonly requests: Effect.Effect<RequestCounts>
  readonly resetCalls: Effect.Effect<void>
  /** Changes made by someone other than the operator. None of them counts as a call. */
  readonly outOfBand: {
    readonly createRepository: (input: {
      readonly name: string
      readonly visibility?: Visibility
      readonly description?: string | null
      /** The user who gets the creator's admin grant (default `someone-else`). */
      readonly owner?: string
    }) => Effect.Effect<void>
    readonly deleteRepository: (name: string) => Effect.Effect<boolean>
    readonly changeVisibility: (name: string, visibility: Visibility) => Effect.Effect<boolean>
    readonly deletePermission: (repository: string, username: string) => Effect.Effect<boolean>
    readonly deleteRobot: (shortName: string) => Effect.Effect<boolean>
    readonly regenerateRobotToken: (shortName: string) => Effect.Effect<boolean>
    /** A notification someone made in Quay's UI; its uuid, if the repository exists. */
    readonly createNotification: (
      repository: string,
      input: { readonly title?: string; readonly event: string; readonly method: string; readonly config: unknown }
    ) => Effect.Effect<Option.Option<string>>
    readonly deleteNotification: (repository: string, uuid: string) => Effect.Effect<boolean>
    /** An e-mail address confirmed for the repository's notifications, as Quay's e-mail confirmation does. */
    readonly authorizeEmail: (repository: string, email: string) => Effect.Effect<boolean>
    /** Off: the notification endpoints answer 404 (a Quay or proxy without them). */
    readonly setNotificationsAvailable: (available: boolean) => Effect.Effect<void>
  }
}

export const QuayControl = Context.GenericTag<QuayControl>("image-repository-operator/QuayControl")

const apiBase = "/api/v1"

export const make = (
  options: QuayInMemoryOptions
): Effect.Effect<{ readonly quay: Quay; readonly control: QuayControl }> =>
  Effect.sync(() => {
    const organization = options.organization
    const registryHost = options.registryHost ?? "quay.io"
    // An opaque OAuth token to Quay; shaped as base64url JSON so the model's check for a JWT header (which this is
    // not: no `typ`) reads it without the exception a non-JSON token costs on every request.
    const token = Redacted.make(Buffer.from(JSON.stringify({ inmemory: randomUUID() })).toString("base64url"))
    const model = new QuayModel({
      organization,
      token: Redacted.value(token),
      plan: options.plan ?? "paid",
      hostname: registryHost
    })
    let calls = new Map<QuayOperation, number>()
    let total = 0

    const countCall = (operation: QuayOperation): Effect.Effect<void> =>
      Effect.sync(() => {
        calls.set(operation, (calls.get(operation) ?? 0) + 1)
        total += 1
      })

    /**
     * One HTTP exchange with the model, read as the live transport reads it (`quayHttp/reply.ts`): the failures
     * every endpoint shares (401/403, 429, 5xx) become errors here, anything else is for the operation to read.
     * A timeout fault fails at once instead of hanging. Nothing is retried.
     */
    const send = (request: QuayRequest): Effect.Effect<QuayReply, QuayError> =>
      Effect.suspend(() => {
        const response = model.handle({
          method: request.method,
          // The live layer percent-encodes; the server decodes before routing, as Werkzeug does.
          path: decodeURIComponent(`${apiBase}${request.path}`),
          query: new URLSearchParams(request.urlParams ?? {}),
          authorization: `Bearer ${Redacted.value(token)}`,
          contentType: "application/json",
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          host: registryHost
        })
        if (response._tag === "NoAnswer") {
          return Effect.fail(new QuayUnavailable({ detail: response.drop === true ? "connection dropped" : "timeout" }))
        }
        const location = response.headers["location"]
        const reply: QuayReply = {
          status: response.status,
          body: response.body,
          // Only errors read the summary: computing it lazily keeps successful calls cheap.
          get summary() {
            return response.status >= 300 && response.status < 400 && location !== undefined
              ? `Location ${location}`
              : summarize(response.body, [Redacted.value(token)])
          },
          retryAfterSeconds: undefined
        }
        const failure = commonFailure(reply)
        return failure === undefined ? Effect.succeed(reply) : Effect.fail(failure)
      })

    const quay: Quay = makeQuayClient({ organization, registryHost, send, onCall: countCall })

    const control: QuayControl = {
      organization,
      model,
      snapshot: Effect.sync(() => model.snapshot()),
      authorize: (username, robotToken, repository, access) =>
        Effect.sync(() => model.authorize(username, Redacted.value(robotToken), `${organization}/${repository}`, access)),
      robotToken: (shortName) =>
        Effect.sync(() => Option.fromNullable(model.robotToken(shortName)).pipe(Option.map(Redacted.make))),
      setPlan: (plan) => Effect.sync(() => model.setPlan(plan)),
      injectFaults: (faults) =>
        Effect.sync(() =>
          model.injectFaults({ kind: faults.kind, next: faults.next, rate: faults.rate, random: faults.random })
        ),
      clearFaults: Effect.sync(() => model.clearFaults()),
      calls: Effect.sync(() => ({ total, byOperation: Object.fromEntries(calls) })),
      requests: Effect.sync(() => model.requestCounts()),
      resetCalls: Effect.sync(() => {
        calls = new Map()
        total = 0
        model.resetRequestCounts()
      }),
      outOfBand: {
        createRepository: (input) =>
          Effect.sync(() =>
            model.putRepository({
              name: input.name,
              ...(input.visibility === undefined ? {} : { visibility: input.visibility }),
              ...(input.description === undefined ? {} : { description: input.description }),
              ...(input.owner === undefined ? {} : { owner: input.owner })
            })
          ),
        deleteRepository: (name) => Effect.sync(() => model.removeRepository(name)),
        changeVisibility: (name, visibility) => Effect.sync(() => model.changeVisibilityOutOfBand(name, visibility)),
        deletePermission: (repository, username) => Effect.sync(() => model.revokePermission(repository, username)),
        deleteRobot: (shortName) => Effect.sync(() => model.removeRobot(shortName)),
        regenerateRobotToken: (shortName) => Effect.sync(() => model.rotateRobotToken(shortName)),
        createNotification: (repository, input) =>
          Effect.sync(() => Option.fromNullable(model.putNotification(repository, input))),
        deleteNotification: (repository, uuid) => Effect.sync(() => model.removeNotification(repository, uuid)),
        authorizeEmail: (repository, email) => Effect.sync(() => model.authorizeEmail(repository, email)),
        setNotificationsAvailable: (available) => Effect.sync(() => model.setNotificationsAvailable(available))
      }
    }

    return { quay, control }
  })

export const layer = (options: QuayInMemoryOptions): Layer.Layer<Quay | QuayControl> =>
  Layer.effectContext(
    Effect.map(make(options), ({ control, quay }) => Context.make(QuayTag, quay).pipe(Context.add(QuayControl, control)))
  )
