import { randomUUID } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { Visibility } from "../domain/Visibility.ts"
import { Quay as QuayTag } from "../services/Quay.ts"
import type { Quay, QuayRepository, QuayRobot, QuayRobotSummary, RepositoryRole } from "../services/Quay.ts"
import {
  QuayInvalidRequest,
  QuayNotFound,
  QuayPlanLimitExceeded,
  QuayRepositoryAlreadyExists,
  QuayRobotAlreadyExists,
  QuayUnavailable,
  type QuayError
} from "../services/QuayError.ts"
import type { FaultKind } from "./quay/QuayFaults.ts"
import { QuayModel, type Access, type ModelSnapshot, type Plan, type RequestCounts } from "./quay/QuayModel.ts"
import { paths } from "./quayHttp/paths.ts"
import { commonFailure, decode, isJsonNull, type QuayReply, says, summarize, unexpected } from "./quayHttp/reply.ts"
import { PermissionMap, RepositoryBody, RepositoryPage, RobotBody, RobotList } from "./quayHttp/wire.ts"

/**
 * The `Quay` service over an in-memory Quay: every operation is the same HTTP request the live layer sends,
 * answered by the shared `QuayModel` (the simulator's model too), and read back with the live layer's own
 * reply interpretation (`quayHttp/reply.ts`, `quayHttp/wire.ts`), so the two layers cannot disagree about
 * what an answer means. Nothing hangs, nothing is retried, nothing touches the network.
 */

/** Quay's exact texts for the 400s that carry meaning (the same the live layer matches). */
const texts = {
  repositoryExists: "Repository already exists",
  robotExists: "Existing robot with name",
  robotMissing: "Could not find robot",
  noSuchGrant: "User does not have permission for repo",
  unknownUser: "Invalid username"
} as const

/** As the live layer: `.`/`..`/empty segments would be folded away by URL handling and address another endpoint. */
const checkNames = (...names: ReadonlyArray<string>): Effect.Effect<void, QuayInvalidRequest> =>
  names.every((name) => name !== "" && name.split("/").every((part) => part !== "" && part !== "." && part !== ".."))
    ? Effect.void
    : Effect.fail(new QuayInvalidRequest({ status: 400, detail: `invalid name '${names.join("', '").slice(0, 200)}'` }))

const maxRepositoryPages = 1000

export interface QuayInMemoryOptions {
  readonly organization: string
  /** Default `quay.io`. */
  readonly registryHost?: string
  /** Default `paid` (no private-repository limit). */
  readonly plan?: Plan
}

export type QuayOperation =
  | "getRepository"
  | "createRepository"
  | "changeVisibility"
  | "deleteRepository"
  | "listRepositories"
  | "getRobot"
  | "createRobot"
  | "regenerateRobotToken"
  | "deleteRobot"
  | "listRobots"
  | "setPermission"
  | "deletePermission"
  | "listPermissions"

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
    const token = Redacted.make(`inmemory-${randomUUID()}`)
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
     * One HTTP exchange with the model, read exactly as the live transport reads it (`quayHttp/reply.ts`):
     * the failures every endpoint shares (401/403, 429, 5xx) become errors here, anything else is for the
     * operation to interpret. A timeout fault fails at once instead of hanging. Nothing is retried.
     */
    const send = (
      method: string,
      path: string,
      init: { readonly urlParams?: Record<string, string>; readonly body?: unknown } = {}
    ): Effect.Effect<QuayReply, QuayError> =>
      Effect.suspend(() => {
        const response = model.handle({
          method,
          // The live layer percent-encodes; the server decodes before routing, as Werkzeug does.
          path: decodeURIComponent(`${apiBase}${path}`),
          query: new URLSearchParams(init.urlParams ?? {}),
          authorization: `Bearer ${Redacted.value(token)}`,
          contentType: "application/json",
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          host: registryHost
        })
        if (response._tag === "NoAnswer") return Effect.fail(new QuayUnavailable({ detail: "timeout" }))
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

    const operation = <A>(
      name: QuayOperation,
      attributes: Record<string, string>,
      effect: Effect.Effect<A, QuayError>
    ): Effect.Effect<A, QuayError> =>
      countCall(name).pipe(
        Effect.zipRight(effect),
        Effect.withSpan(`Quay.${name}`, {
          attributes: { "quay.organization": organization, ...attributes },
          // A test double: where the span was opened is not worth a stack trace per call.
          captureStackTrace: false
        })
      )

    const robotFullName = (shortName: string) => `${organization}+${shortName}`
    const repositoryResource = (name: string) => `repository '${organization}/${name}'`
    const robotResource = (shortName: string) => `robot account '${robotFullName(shortName)}'`
    const organizationResource = `organization '${organization}'`

    const toRepository = (body: RepositoryBody): QuayRepository => ({
      namespace: body.namespace,
      name: body.name,
      visibility: body.is_public ? "public" : "private",
      description: body.description
    })

    const shortNameOf = (fullName: string): string => fullName.slice(fullName.indexOf("+") + 1)

    const toRobot = (body: RobotBody): QuayRobot => ({
      name: body.name,
      shortName: shortNameOf(body.name),
      description: body.description ?? "",
      token: body.token
    })

    const quay: Quay = {
      organization,
      registryHost,

      getRepository: (name) =>
        operation(
          "getRepository",
          { "quay.repository": name },
          Effect.gen(function*() {
            yield* checkNames(name)
            const reply = yield* send("GET", paths.repository(organization, name), { urlParams: { includeTags: "false" } })
            if (reply.status === 200) return Option.some(toRepository(yield* decode(RepositoryBody, reply)))
            if (reply.status === 404) return Option.none<QuayRepository>()
            return yield* Effect.fail(unexpected(reply, repositoryResource(name)))
          })
        ),

      createRepository: (input) =>
        operation(
          "createRepository",
          { "quay.repository": input.name, "quay.visibility": input.visibility },
          Effect.gen(function*() {
            yield* checkNames(input.name)
            const reply = yield* send("POST", paths.repositories, {
              body: { namespace: organization, repository: input.name, visibility: input.visibility, description: input.description }
            })
            if (reply.status === 200 || reply.status === 201) return
            if (reply.status === 400 && says(reply, texts.repositoryExists)) {
              return yield* Effect.fail(new QuayRepositoryAlreadyExists({ repository: input.name }))
            }
            if (reply.status === 402) return yield* Effect.fail(new QuayPlanLimitExceeded({ repository: input.name }))
            return yield* Effect.fail(unexpected(reply, repositoryResource(input.name)))
          })
        ),

      changeVisibility: (name, visibility) =>
        operation(
          "changeVisibility",
          { "quay.repository": name, "quay.visibility": visibility },
          Effect.gen(function*() {
            yield* checkNames(name)
            const reply = yield* send("POST", paths.changeVisibility(organization, name), { body: { visibility } })
            // Quay answers 200 with the body `null` when the repository does not exist.
            if (reply.status === 200 && isJsonNull(reply)) {
              return yield* Effect.fail(new QuayNotFound({ resource: repositoryResource(name) }))
            }
            if (reply.status === 200) return
            if (reply.status === 402) return yield* Effect.fail(new QuayPlanLimitExceeded({ repository: name }))
            return yield* Effect.fail(unexpected(reply, repositoryResource(name)))
          })
        ),

      deleteRepository: (name) =>
        operation(
          "deleteRepository",
          { "quay.repository": name },
          Effect.gen(function*() {
            yield* checkNames(name)
            const reply = yield* send("DELETE", paths.repository(organization, name))
            if (reply.status === 204 || reply.status === 200 || reply.status === 404) return
            return yield* Effect.fail(unexpected(reply, repositoryResource(name)))
          })
        ),

      listRepositories: () =>
        operation(
          "listRepositories",
          {},
          Effect.gen(function*() {
            const repositories: Array<QuayRepository> = []
            const seen = new Set<string>()
            let nextPage: string | undefined
            for (let page = 0; page < maxRepositoryPages; page++) {
              const reply = yield* send("GET", paths.repositories, {
                urlParams: nextPage === undefined ? { namespace: organization } : { namespace: organization, next_page: nextPage }
              })
              if (reply.status !== 200) return yield* Effect.fail(unexpected(reply, organizationResource))
              const body = yield* decode(RepositoryPage, reply)
              for (const repository of body.repositories) {
                if (repository.namespace === organization) repositories.push(toRepository(repository))
              }
              const next = body.next_page ?? undefined
              if (next === undefined || next === "") return repositories
              if (seen.has(next)) {
                return yield* Effect.fail(new QuayUnavailable({ status: 200, detail: "repository list paging repeats a page" }))
              }
              seen.add(next)
              nextPage = next
            }
            return yield* Effect.fail(
              new QuayUnavailable({ status: 200, detail: `repository list did not end within ${maxRepositoryPages} pages` })
            )
          })
        ),

      getRobot: (shortName) =>
        operation(
          "getRobot",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            yield* checkNames(shortName)
            const reply = yield* send("GET", paths.robot(organization, shortName))
            if (reply.status === 200) return Option.some(toRobot(yield* decode(RobotBody, reply)))
            // Quay's answer for an absent robot is a 400 with the data-model shape, never a 404.
            if ((reply.status === 400 && says(reply, texts.robotMissing)) || reply.status === 404) {
              return Option.none<QuayRobot>()
            }
            return yield* Effect.fail(unexpected(reply, robotResource(shortName)))
          })
        ),

      createRobot: (shortName, description) =>
        operation(
          "createRobot",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            yield* checkNames(shortName)
            const reply = yield* send("PUT", paths.robot(organization, shortName), { body: { description } })
            if (reply.status === 200 || reply.status === 201) return toRobot(yield* decode(RobotBody, reply))
            if (reply.status === 400 && says(reply, texts.robotExists)) {
              return yield* Effect.fail(new QuayRobotAlreadyExists({ robot: robotFullName(shortName) }))
            }
            return yield* Effect.fail(unexpected(reply, robotResource(shortName)))
          })
        ),

      regenerateRobotToken: (shortName) =>
        operation(
          "regenerateRobotToken",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            yield* checkNames(shortName)
            const reply = yield* send("POST", paths.regenerateRobot(organization, shortName))
            if (reply.status === 200) return toRobot(yield* decode(RobotBody, reply))
            if ((reply.status === 400 && says(reply, texts.robotMissing)) || reply.status === 404) {
              return yield* Effect.fail(new QuayNotFound({ resource: robotResource(shortName) }))
            }
            return yield* Effect.fail(unexpected(reply, robotResource(shortName)))
          })
        ),

      deleteRobot: (shortName) =>
        operation(
          "deleteRobot",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            yield* checkNames(shortName)
            const reply = yield* send("DELETE", paths.robot(organization, shortName))
            if (
              reply.status === 204 || reply.status === 200 || reply.status === 404 ||
              (reply.status === 400 && says(reply, texts.robotMissing))
            ) return
            return yield* Effect.fail(unexpected(reply, robotResource(shortName)))
          })
        ),

      listRobots: () =>
        operation(
          "listRobots",
          {},
          Effect.gen(function*() {
            const reply = yield* send("GET", paths.robots(organization), { urlParams: { token: "false" } })
            if (reply.status !== 200) return yield* Effect.fail(unexpected(reply, organizationResource))
            const body = yield* decode(RobotList, reply)
            return body.robots.map((robot): QuayRobotSummary => ({
              name: robot.name,
              shortName: shortNameOf(robot.name),
              description: robot.description ?? ""
            }))
          })
        ),

      setPermission: (repository, username, role) =>
        operation(
          "setPermission",
          { "quay.repository": repository, "quay.username": username, "quay.role": role },
          Effect.gen(function*() {
            yield* checkNames(repository, username)
            const reply = yield* send("PUT", paths.userPermission(organization, repository, username), { body: { role } })
            if (reply.status === 200 || reply.status === 201) return
            // The user or robot does not exist (e.g. a robot deleted behind the operator's back).
            if (reply.status === 400 && says(reply, texts.unknownUser)) {
              return yield* Effect.fail(new QuayNotFound({ resource: `user or robot '${username}'` }))
            }
            return yield* Effect.fail(unexpected(reply, repositoryResource(repository)))
          })
        ),

      deletePermission: (repository, username) =>
        operation(
          "deletePermission",
          { "quay.repository": repository, "quay.username": username },
          Effect.gen(function*() {
            yield* checkNames(repository, username)
            const reply = yield* send("DELETE", paths.userPermission(organization, repository, username))
            if (
              reply.status === 204 || reply.status === 200 || reply.status === 404 ||
              (reply.status === 400 && says(reply, texts.noSuchGrant))
            ) return
            return yield* Effect.fail(unexpected(reply, repositoryResource(repository)))
          })
        ),

      listPermissions: (repository) =>
        operation(
          "listPermissions",
          { "quay.repository": repository },
          Effect.gen(function*() {
            yield* checkNames(repository)
            const reply = yield* send("GET", paths.userPermissions(organization, repository))
            if (reply.status === 200) {
              const body = yield* decode(PermissionMap, reply)
              return new Map<string, RepositoryRole>(Object.entries(body.permissions).map(([name, p]) => [name, p.role]))
            }
            if (reply.status === 404) return new Map<string, RepositoryRole>()
            return yield* Effect.fail(unexpected(reply, repositoryResource(repository)))
          })
        )
    }

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
        regenerateRobotToken: (shortName) => Effect.sync(() => model.rotateRobotToken(shortName))
      }
    }

    return { quay, control }
  })

export const layer = (options: QuayInMemoryOptions): Layer.Layer<Quay | QuayControl> =>
  Layer.effectContext(
    Effect.map(make(options), ({ control, quay }) => Context.make(QuayTag, quay).pipe(Context.add(QuayControl, control)))
  )
