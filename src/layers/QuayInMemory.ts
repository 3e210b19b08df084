import { randomUUID } from "node:crypto"
import { Context, Effect, Either, Layer, Option, Redacted } from "effect"
import type { Visibility } from "../domain/Visibility.ts"
import type { Quay, QuayRepository, QuayRobot, QuayRobotSummary, RepositoryRole } from "../services/Quay.ts"
import { Quay as QuayTag } from "../services/Quay.ts"
import {
  QuayNotFound,
  QuayPlanLimitExceeded,
  QuayRepositoryAlreadyExists,
  QuayRobotAlreadyExists,
  QuayUnavailable,
  type QuayError
} from "../services/QuayError.ts"
import * as Answers from "./quay/QuayAnswers.ts"
import type { FaultKind } from "./quay/QuayFaults.ts"
import { QuayModel, type Access, type ModelSnapshot, type Plan, type RequestCounts } from "./quay/QuayModel.ts"
import type { QuayAnswer } from "./quay/QuayWire.ts"

/**
 * The `Quay` service over an in-memory Quay: every operation is the same HTTP request the live layer sends,
 * answered by the shared `QuayModel` (the simulator's model too), and read back with Quay's quirks mapped to
 * the contract's semantics. Nothing hangs and nothing touches the network.
 */

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

    /** One HTTP exchange with the model; a timeout fault becomes QuayUnavailable at once. */
    const request = (
      method: string,
      path: string,
      init: { readonly query?: Record<string, string>; readonly body?: unknown } = {}
    ): Effect.Effect<QuayAnswer, QuayUnavailable> =>
      Effect.suspend(() => {
        const response = model.handle({
          method,
          path: `${apiBase}${path}`,
          query: new URLSearchParams(init.query ?? {}),
          authorization: `Bearer ${Redacted.value(token)}`,
          contentType: "application/json",
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          host: registryHost
        })
        return response._tag === "NoAnswer"
          ? Effect.fail(new QuayUnavailable({ detail: "timeout" }))
          : Effect.succeed(response)
      })

    const decode = <A, I>(schema: Parameters<typeof Answers.decodeBody<A, I>>[0], answer: QuayAnswer) =>
      Either.match(Answers.decodeBody(schema, answer), {
        onLeft: (e) => Effect.fail<QuayError>(e),
        onRight: (a) => Effect.succeed(a)
      })

    const operation = <A>(
      name: QuayOperation,
      attributes: Record<string, string>,
      effect: Effect.Effect<A, QuayError>
    ): Effect.Effect<A, QuayError> =>
      countCall(name).pipe(
        Effect.zipRight(effect),
        Effect.withSpan(`Quay.${name}`, { attributes: { "quay.organization": organization, ...attributes } })
      )

    const repoPath = (name: string) => `/repository/${organization}/${name}`
    const robotPath = (shortName: string) => `/organization/${organization}/robots/${shortName}`
    const robotResource = (shortName: string) => `robot account '${organization}+${shortName}'`
    const repoResource = (name: string) => `repository '${organization}/${name}'`

    const toRobot = (view: typeof Answers.RobotView.Type): Effect.Effect<QuayRobot, QuayError> => {
      const shortName = view.name.slice(view.name.indexOf("+") + 1)
      return view.token === undefined
        ? Effect.fail(new QuayUnavailable({ detail: "robot response without a token" }))
        : Effect.succeed({
          name: view.name,
          shortName,
          description: view.description ?? "",
          token: Redacted.make(view.token)
        })
    }

    const quay: Quay = {
      organization,
      registryHost,

      getRepository: (name) =>
        operation(
          "getRepository",
          { "quay.repository": name },
          Effect.gen(function*() {
            const answer = yield* request("GET", repoPath(name), { query: { includeTags: "false" } })
            if (answer.status === 404) return Option.none<QuayRepository>()
            if (answer.status !== 200) return yield* Effect.fail(Answers.classify(answer, repoResource(name)))
            const view = yield* decode(Answers.RepositoryView, answer)
            return Option.some<QuayRepository>({
              namespace: view.namespace,
              name: view.name,
              visibility: view.is_public ? "public" : "private",
              description: view.description
            })
          })
        ),

      createRepository: (input) =>
        operation(
          "createRepository",
          { "quay.repository": input.name, "quay.visibility": input.visibility },
          Effect.gen(function*() {
            const answer = yield* request("POST", "/repository", {
              body: {
                namespace: organization,
                repository: input.name,
                visibility: input.visibility,
                description: input.description
              }
            })
            if (answer.status === 201 || answer.status === 200) return
            if (Answers.isRepositoryAlreadyExists(answer)) {
              return yield* Effect.fail(new QuayRepositoryAlreadyExists({ repository: input.name }))
            }
            if (answer.status === 402) return yield* Effect.fail(new QuayPlanLimitExceeded({ repository: input.name }))
            return yield* Effect.fail(Answers.classify(answer, repoResource(input.name)))
          })
        ),

      changeVisibility: (name, visibility) =>
        operation(
          "changeVisibility",
          { "quay.repository": name, "quay.visibility": visibility },
          Effect.gen(function*() {
            const answer = yield* request("POST", `${repoPath(name)}/changevisibility`, { body: { visibility } })
            if (answer.status === 200) {
              // Quay answers a missing repository with 200 and a `null` body.
              if (Answers.parseBody(answer) === null) {
                return yield* Effect.fail(new QuayNotFound({ resource: repoResource(name) }))
              }
              return
            }
            if (answer.status === 402) return yield* Effect.fail(new QuayPlanLimitExceeded({ repository: name }))
            return yield* Effect.fail(Answers.classify(answer, repoResource(name)))
          })
        ),

      deleteRepository: (name) =>
        operation(
          "deleteRepository",
          { "quay.repository": name },
          Effect.gen(function*() {
            const answer = yield* request("DELETE", repoPath(name))
            if (answer.status === 204 || answer.status === 200 || answer.status === 404) return
            return yield* Effect.fail(Answers.classify(answer, repoResource(name)))
          })
        ),

      listRepositories: () =>
        operation(
          "listRepositories",
          {},
          Effect.gen(function*() {
            const all: Array<QuayRepository> = []
            let nextPage: string | undefined
            // Bounded: 10 000 pages of 100 is far beyond any organization.
            for (let page = 0; page < 10_000; page++) {
              const answer = yield* request("GET", "/repository", {
                query: { namespace: organization, ...(nextPage === undefined ? {} : { next_page: nextPage }) }
              })
              if (answer.status !== 200) {
                return yield* Effect.fail(Answers.classify(answer, `organization '${organization}'`))
              }
              const list = yield* decode(Answers.RepositoryList, answer)
              for (const r of list.repositories) {
                if (r.namespace !== organization) continue
                all.push({
                  namespace: r.namespace,
                  name: r.name,
                  visibility: r.is_public ? "public" : "private",
                  description: r.description
                })
              }
              if (list.next_page === undefined || list.next_page === "") break
              nextPage = list.next_page
            }
            return all
          })
        ),

      getRobot: (shortName) =>
        operation(
          "getRobot",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            const answer = yield* request("GET", robotPath(shortName))
            if (Answers.isRobotNotFound(answer)) return Option.none<QuayRobot>()
            if (answer.status !== 200) return yield* Effect.fail(Answers.classify(answer, robotResource(shortName)))
            const view = yield* decode(Answers.RobotView, answer)
            return Option.some(yield* toRobot(view))
          })
        ),

      createRobot: (shortName, description) =>
        operation(
          "createRobot",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            const answer = yield* request("PUT", robotPath(shortName), { body: { description } })
            if (Answers.isExistingRobot(answer)) {
              return yield* Effect.fail(new QuayRobotAlreadyExists({ robot: `${organization}+${shortName}` }))
            }
            if (answer.status !== 201 && answer.status !== 200) {
              return yield* Effect.fail(Answers.classify(answer, robotResource(shortName)))
            }
            return yield* toRobot(yield* decode(Answers.RobotView, answer))
          })
        ),

      regenerateRobotToken: (shortName) =>
        operation(
          "regenerateRobotToken",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            const answer = yield* request("POST", `${robotPath(shortName)}/regenerate`)
            if (Answers.isRobotNotFound(answer)) {
              return yield* Effect.fail(new QuayNotFound({ resource: robotResource(shortName) }))
            }
            if (answer.status !== 200) return yield* Effect.fail(Answers.classify(answer, robotResource(shortName)))
            return yield* toRobot(yield* decode(Answers.RobotView, answer))
          })
        ),

      deleteRobot: (shortName) =>
        operation(
          "deleteRobot",
          { "quay.robot": shortName },
          Effect.gen(function*() {
            const answer = yield* request("DELETE", robotPath(shortName))
            if (answer.status === 204 || answer.status === 200 || Answers.isRobotNotFound(answer)) return
            return yield* Effect.fail(Answers.classify(answer, robotResource(shortName)))
          })
        ),

      listRobots: () =>
        operation(
          "listRobots",
          {},
          Effect.gen(function*() {
            const answer = yield* request("GET", `/organization/${organization}/robots`, { query: { token: "false" } })
            if (answer.status !== 200) return yield* Effect.fail(Answers.classify(answer, `organization '${organization}'`))
            const list = yield* decode(Answers.RobotList, answer)
            return list.robots.map((r): QuayRobotSummary => ({
              name: r.name,
              shortName: r.name.slice(r.name.indexOf("+") + 1),
              description: r.description ?? ""
            }))
          })
        ),

      setPermission: (repository, username, role) =>
        operation(
          "setPermission",
          { "quay.repository": repository, "quay.username": username, "quay.role": role },
          Effect.gen(function*() {
            const answer = yield* request("PUT", `${repoPath(repository)}/permissions/user/${username}`, {
              body: { role }
            })
            if (answer.status === 200) return
            if (Answers.isInvalidUsername(answer)) {
              return yield* Effect.fail(new QuayNotFound({ resource: `user or robot '${username}'` }))
            }
            return yield* Effect.fail(Answers.classify(answer, repoResource(repository)))
          })
        ),

      deletePermission: (repository, username) =>
        operation(
          "deletePermission",
          { "quay.repository": repository, "quay.username": username },
          Effect.gen(function*() {
            const answer = yield* request("DELETE", `${repoPath(repository)}/permissions/user/${username}`)
            if (answer.status === 204 || answer.status === 200 || Answers.isNoSuchGrant(answer)) return
            return yield* Effect.fail(Answers.classify(answer, repoResource(repository)))
          })
        ),

      listPermissions: (repository) =>
        operation(
          "listPermissions",
          { "quay.repository": repository },
          Effect.gen(function*() {
            // The list endpoint is defined with a trailing slash; without it Quay answers 308.
            const answer = yield* request("GET", `${repoPath(repository)}/permissions/user/`)
            if (answer.status !== 200) return yield* Effect.fail(Answers.classify(answer, repoResource(repository)))
            const map = yield* decode(Answers.PermissionMap, answer)
            return new Map<string, RepositoryRole>(Object.entries(map.permissions).map(([u, p]) => [u, p.role]))
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
