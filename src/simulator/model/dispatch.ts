import type { RouteMatch, RouteName } from "../QuayRoutes.ts"
import * as Wire from "../QuayWire.ts"
import type { QuayAnswer, QuayRequest } from "../QuayWire.ts"
import * as Permissions from "./permissions.ts"
import * as Repositories from "./repositories.ts"
import type { RequestContext } from "./request.ts"
import * as Robots from "./robots.ts"
import type { QuayState } from "./state.ts"

/**
 * From a routed request to Quay's answer: the routing outcomes that need no endpoint (404, 405, OPTIONS), the
 * bearer token (Quay's authentication, including its SSO-JWT and CSRF behaviour), then the endpoint's handler.
 */

type Handler = (state: QuayState, c: RequestContext) => QuayAnswer

const handlers: Readonly<Record<RouteName, Handler>> = {
  listRepositories: Repositories.listRepositories,
  createRepository: Repositories.createRepository,
  getRepository: Repositories.getRepository,
  updateRepository: Repositories.updateRepository,
  deleteRepository: Repositories.deleteRepository,
  changeVisibility: Repositories.changeVisibility,
  listPermissionsRedirect: Permissions.redirectToSlash,
  listPermissions: Permissions.listPermissions,
  getPermission: Permissions.getPermission,
  setPermission: Permissions.setPermission,
  deletePermission: Permissions.deletePermission,
  listRobots: Robots.listRobots,
  getRobot: Robots.getRobot,
  createRobot: Robots.createRobot,
  deleteRobot: Robots.deleteRobot,
  regenerateRobot: Robots.regenerateRobot
}

const bearer = (authorization: string | undefined): string | undefined => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")
  return m?.[1]
}

const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)

export const answer = (state: QuayState, match: RouteMatch, request: QuayRequest): QuayAnswer => {
  switch (match._tag) {
    case "NotFound":
      return match.insideApi ? Wire.routeNotFound : Wire.pageNotFound
    case "MethodNotAllowed":
      return Wire.methodNotAllowed(match.allowed)
    case "Options":
      return { _tag: "Answer", status: 200, headers: { allow: match.allowed.join(", ") }, body: "" }
    case "Matched":
      break
  }
  const token = bearer(request.authorization)
  const caller = token === undefined ? undefined : state.tokens.get(token)
  // An unknown token that looks like a JWT is validated as an SSO token and refused at once.
  if (token !== undefined && caller === undefined && looksLikeJwt(token)) {
    return Wire.errorAbort(401, "Invalid JWT token")
  }
  // Without a valid token Quay carries on as anonymous; writes then fail the CSRF check first.
  const method = request.method.toUpperCase()
  if (caller === undefined && method !== "GET" && method !== "HEAD") return Wire.csrfRejected
  const host = request.host ?? state.hostname
  const query = request.query ?? new URLSearchParams()
  return handlers[match.route](state, { request, host, caller, query, params: match.params })
}
