import { Effect, Option } from "effect"
import { Quay, type QuayRepository, type QuayRobot, type QuayRobotSummary, type RepositoryRole } from "../../services/Quay.ts"
import {
  type QuayError,
  QuayInvalidRequest,
  QuayNotFound,
  QuayPlanLimitExceeded,
  QuayRepositoryAlreadyExists,
  QuayRobotAlreadyExists,
  QuayUnavailable
} from "../../services/QuayError.ts"
import { verifyAccess } from "./accessCheck.ts"
import { makeNotificationOperations } from "./notifications.ts"
import { paths } from "./paths.ts"
import { namePermission, type QuayOperation } from "./permissions.ts"
import { decode, isJsonNull, type QuayReply, says, unexpected } from "./reply.ts"
import type { QuayMethod, QuayRequest } from "./request.ts"
import { PermissionMap, RepositoryBody, RepositoryPage, RobotBody, RobotList } from "./wire.ts"

/**
 * The `Quay` contract on top of Quay's REST API, independent of how a request travels: each operation is the
 * request Quay's API expects and the reading of its answer, with Quay's wire quirks (400s for absence and
 * duplicates, 200 `null`, maps instead of lists) turned into the contract's semantics.
 */

export type { QuayOperation }

export interface QuayClientOptions {
  readonly organization: string
  readonly registryHost: string
  /**
   * Performs one request. Fails with the failures every endpoint shares (see `commonFailure`: 401/403, 429,
   * 5xx, transport trouble) and returns any other answer for the operation to read.
   */
  readonly send: (request: QuayRequest) => Effect.Effect<QuayReply, QuayError>
  /** Runs once at the start of every operation (e.g. to count calls). */
  readonly onCall?: (operation: QuayOperation) => Effect.Effect<void>
}

/** Repository list pages are 100 long; this bounds a listing at 100k repositories against a server that never stops paging. */
const maxRepositoryPages = 1000

/** Quay's exact texts for the 400s that carry meaning (see its data model and endpoint code). */
export const texts = {
  repositoryExists: "Repository already exists",
  robotExists: "Existing robot with name",
  robotMissing: "Could not find robot",
  noSuchGrant: "User does not have permission for repo",
  unknownUser: "Invalid username"
} as const

/** `.` and `..` would be folded away by URL parsing and address another endpoint; Quay rejects such names anyway. */
export const checkNames = (...names: ReadonlyArray<string>): Effect.Effect<void, QuayInvalidRequest> =>
  names.every((name) => name !== "" && name.split("/").every((part) => part !== "" && part !== "." && part !== ".."))
    ? Effect.void
    : Effect.fail(new QuayInvalidRequest({ status: 400, detail: `invalid name '${names.join("', '").slice(0, 200)}'` }))

/** Answers that mean the thing to delete is gone, whether or not it was there. */
const deleted = (reply: QuayReply): boolean => reply.status === 204 || reply.status === 200 || reply.status === 404

/** Quay's answer for an absent robot is a 400 with the data-model shape, never a 404; a proxy's 404 means the same. */
const robotAbsent = (reply: QuayReply): boolean =>
  (reply.status === 400 && says(reply, texts.robotMissing)) || reply.status === 404

const toRepository = (body: RepositoryBody): QuayRepository => ({
  namespace: body.namespace,
  name: body.name,
  visibility: body.is_public ? "public" : "private",
  description: body.description
})

const shortNameOf = (fullName: string): string => {
  const plus = fullName.indexOf("+")
  return plus === -1 ? fullName : fullName.slice(plus + 1)
}

const toRobot = (body: RobotBody): QuayRobot => ({
  name: body.name,
  shortName: shortNameOf(body.name),
  description: body.description ?? "",
  token: body.token
})

export const makeQuayClient = (options: QuayClientOptions): Quay => {
  const org = options.organization
  const robotFullName = (shortName: string) => `${org}+${shortName}`
  const onCall = options.onCall ?? (() => Effect.void)

  /** Every operation is one span named after the contract method; the token is never an attribute. */
  const call = <A>(
    operation: QuayOperation,
    method: QuayMethod,
    path: string,
    f: (send: (extras: Pick<QuayRequest, "urlParams" | "body">) => Effect.Effect<QuayReply, QuayError>) => Effect.Effect<A, QuayError>
  ): Effect.Effect<A, QuayError> =>
    onCall(operation).pipe(
      Effect.zipRight(f((extras) => options.send({ method, path, ...extras }))),
      Effect.mapError(namePermission(operation)),
      Effect.withSpan(`Quay.${operation}`, {
        kind: "client",
        attributes: { "http.request.method": method, "quay.path": path, "quay.organization": org }
      })
    )

  /**
   * An operation that is one request: the names it addresses are checked first (a refused name is no call and
   * sends nothing), then the answer is read by `read`.
   */
  const single = <A>(
    operation: QuayOperation,
    { names, ...request }: QuayRequest & { readonly names: ReadonlyArray<string> },
    read: (reply: QuayReply) => Effect.Effect<A, QuayError>
  ): Effect.Effect<A, QuayError> =>
    checkNames(...names).pipe(
      Effect.zipRight(call(operation, request.method, request.path, () => Effect.flatMap(options.send(request), read)))
    )

  const repositoryResource = (name: string) => `repository '${org}/${name}'`
  const robotResource = (shortName: string) => `robot account '${robotFullName(shortName)}'`
  const organizationResource = `organization '${org}'`

  const getRepository = (name: string) =>
    single(
      "getRepository",
      { names: [name], method: "GET", path: paths.repository(org, name), urlParams: { includeTags: "false" } },
      (reply): Effect.Effect<Option.Option<QuayRepository>, QuayError> => {
        if (reply.status === 200) return Effect.map(decode(RepositoryBody, reply), (body) => Option.some(toRepository(body)))
        if (reply.status === 404) return Effect.succeedNone
        return Effect.fail(unexpected(reply, repositoryResource(name)))
      }
    )

  const createRepository = (input: { readonly name: string; readonly visibility: "public" | "private"; readonly description: string }) =>
    single(
      "createRepository",
      {
        names: [input.name],
        method: "POST",
        path: paths.repositories,
        body: { namespace: org, repository: input.name, visibility: input.visibility, description: input.description }
      },
      (reply): Effect.Effect<void, QuayError> => {
        if (reply.status === 200 || reply.status === 201) return Effect.void
        if (reply.status === 400 && says(reply, texts.repositoryExists)) {
          return Effect.fail(new QuayRepositoryAlreadyExists({ repository: input.name }))
        }
        if (reply.status === 402) return Effect.fail(new QuayPlanLimitExceeded({ repository: input.name }))
        return Effect.fail(unexpected(reply, repositoryResource(input.name)))
      }
    )

  const changeVisibility = (name: string, visibility: "public" | "private") =>
    single(
      "changeVisibility",
      { names: [name], method: "POST", path: paths.changeVisibility(org, name), body: { visibility } },
      (reply): Effect.Effect<void, QuayError> => {
        // Quay answers 200 with the body `null` when the repository does not exist.
        if (reply.status === 200 && isJsonNull(reply)) {
          return Effect.fail(new QuayNotFound({ resource: repositoryResource(name) }))
        }
        if (reply.status === 200) return Effect.void
        if (reply.status === 402) return Effect.fail(new QuayPlanLimitExceeded({ repository: name }))
        if (reply.status === 404) return Effect.fail(new QuayNotFound({ resource: repositoryResource(name) }))
        return Effect.fail(unexpected(reply, repositoryResource(name)))
      }
    )

  const setRepositoryDescription = (name: string, description: string) =>
    single(
      "setRepositoryDescription",
      { names: [name], method: "PUT", path: paths.repository(org, name), body: { description } },
      (reply): Effect.Effect<void, QuayError> => {
        if (reply.status === 200) return Effect.void
        if (reply.status === 404) return Effect.fail(new QuayNotFound({ resource: repositoryResource(name) }))
        return Effect.fail(unexpected(reply, repositoryResource(name)))
      }
    )

  const deleteRepository = (name: string) =>
    single(
      "deleteRepository",
      { names: [name], method: "DELETE", path: paths.repository(org, name) },
      (reply): Effect.Effect<void, QuayError> =>
        deleted(reply) ? Effect.void : Effect.fail(unexpected(reply, repositoryResource(name)))
    )

  const listRepositories = () =>
    call("listRepositories", "GET", paths.repositories, (send) =>
      Effect.gen(function*() {
        const repositories: Array<QuayRepository> = []
        const seen = new Set<string>()
        let nextPage: string | undefined = undefined
        for (let page = 0; page < maxRepositoryPages; page++) {
          const reply: QuayReply = yield* send({
            urlParams: nextPage === undefined ? { namespace: org } : { namespace: org, next_page: nextPage }
          })
          if (reply.status !== 200) return yield* Effect.fail(unexpected(reply, organizationResource))
          const body = yield* decode(RepositoryPage, reply)
          for (const repository of body.repositories) {
            if (repository.namespace === org) repositories.push(toRepository(repository))
          }
          const token = body.next_page ?? undefined
          if (token === undefined || token === "") return repositories
          if (seen.has(token)) {
            return yield* Effect.fail(new QuayUnavailable({ status: 200, detail: "repository list paging repeats a page" }))
          }
          seen.add(token)
          nextPage = token
        }
        return yield* Effect.fail(
          new QuayUnavailable({ status: 200, detail: `repository list did not end within ${maxRepositoryPages} pages` })
        )
      }))

  const getRobot = (shortName: string) =>
    single(
      "getRobot",
      { names: [shortName], method: "GET", path: paths.robot(org, shortName) },
      (reply): Effect.Effect<Option.Option<QuayRobot>, QuayError> => {
        if (reply.status === 200) return Effect.map(decode(RobotBody, reply), (body) => Option.some(toRobot(body)))
        if (robotAbsent(reply)) return Effect.succeedNone
        return Effect.fail(unexpected(reply, robotResource(shortName)))
      }
    )

  const createRobot = (shortName: string, description: string) =>
    single(
      "createRobot",
      { names: [shortName], method: "PUT", path: paths.robot(org, shortName), body: { description } },
      (reply): Effect.Effect<QuayRobot, QuayError> => {
        if (reply.status === 200 || reply.status === 201) return Effect.map(decode(RobotBody, reply), toRobot)
        if (reply.status === 400 && says(reply, texts.robotExists)) {
          return Effect.fail(new QuayRobotAlreadyExists({ robot: robotFullName(shortName) }))
        }
        return Effect.fail(unexpected(reply, robotResource(shortName)))
      }
    )

  const regenerateRobotToken = (shortName: string) =>
    single(
      "regenerateRobotToken",
      { names: [shortName], method: "POST", path: paths.regenerateRobot(org, shortName) },
      (reply): Effect.Effect<QuayRobot, QuayError> => {
        if (reply.status === 200) return Effect.map(decode(RobotBody, reply), toRobot)
        if (robotAbsent(reply)) return Effect.fail(new QuayNotFound({ resource: robotResource(shortName) }))
        return Effect.fail(unexpected(reply, robotResource(shortName)))
      }
    )

  const deleteRobot = (shortName: string) =>
    single(
      "deleteRobot",
      { names: [shortName], method: "DELETE", path: paths.robot(org, shortName) },
      (reply): Effect.Effect<void, QuayError> =>
        deleted(reply) || robotAbsent(reply) ? Effect.void : Effect.fail(unexpected(reply, robotResource(shortName)))
    )

  const listRobots = () =>
    // token=false: the list is for inventory; tokens are fetched one robot at a time when needed.
    single(
      "listRobots",
      { names: [], method: "GET", path: paths.robots(org), urlParams: { token: "false" } },
      (reply): Effect.Effect<ReadonlyArray<QuayRobotSummary>, QuayError> =>
        reply.status === 200
          ? Effect.map(decode(RobotList, reply), (body) =>
            body.robots.map((robot) => ({
              name: robot.name,
              shortName: shortNameOf(robot.name),
              description: robot.description ?? ""
            })))
          : Effect.fail(unexpected(reply, organizationResource))
    )

  const setPermission = (repository: string, username: string, role: RepositoryRole) =>
    single(
      "setPermission",
      { names: [repository, username], method: "PUT", path: paths.userPermission(org, repository, username), body: { role } },
      (reply): Effect.Effect<void, QuayError> => {
        if (reply.status === 200 || reply.status === 201) return Effect.void
        // The user or robot does not exist (e.g. a robot deleted behind the operator's back).
        if (reply.status === 400 && says(reply, texts.unknownUser)) {
          return Effect.fail(new QuayNotFound({ resource: `user or robot '${username}'` }))
        }
        return Effect.fail(unexpected(reply, repositoryResource(repository)))
      }
    )

  const deletePermission = (repository: string, username: string) =>
    single(
      "deletePermission",
      { names: [repository, username], method: "DELETE", path: paths.userPermission(org, repository, username) },
      (reply): Effect.Effect<void, QuayError> =>
        deleted(reply) || (reply.status === 400 && says(reply, texts.noSuchGrant))
          ? Effect.void
          : Effect.fail(unexpected(reply, repositoryResource(repository)))
    )

  const listPermissions = (repository: string) =>
    single(
      "listPermissions",
      { names: [repository], method: "GET", path: paths.userPermissions(org, repository) },
      (reply): Effect.Effect<ReadonlyMap<string, RepositoryRole>, QuayError> => {
        if (reply.status === 200) {
          return Effect.map(
            decode(PermissionMap, reply),
            (body) => new Map(Object.entries(body.permissions).map(([name, permission]) => [name, permission.role]))
          )
        }
        // Quay answers an absent repository with an empty map; a 404 from a proxy or other server means the same.
        if (reply.status === 404) return Effect.succeed(new Map<string, RepositoryRole>())
        return Effect.fail(unexpected(reply, repositoryResource(repository)))
      }
    )

  return Quay.of({
    organization: org,
    registryHost: options.registryHost,
    getRepository,
    createRepository,
    changeVisibility,
    setRepositoryDescription,
    deleteRepository,
    listRepositories,
    getRobot,
    createRobot,
    regenerateRobotToken,
    deleteRobot,
    listRobots,
    setPermission,
    deletePermission,
    listPermissions,
    ...makeNotificationOperations(org, single),
    verifyAccess: () =>
      onCall("verifyAccess").pipe(
        Effect.zipRight(verifyAccess(org, options.send)),
        Effect.withSpan("Quay.verifyAccess", { kind: "client", attributes: { "quay.organization": org } })
      )
  })
}
