import type { RouteMatch, RouteName } from "../QuayRoutes.ts"
import * as Wire from "../QuayWire.ts"
import type { QuayAnswer, QuayRequest } from "../QuayWire.ts"
import * as Notifications from "./notifications.ts"
import * as Permissions from "./permissions.ts"
import * as Repositories from "./repositories.ts"
import { type RequestContext, slashRedirect } from "./request.ts"
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
  listTeamPermissions: Permissions.listTeamPermissions,
  getPermission: Permissions.getPermission,
  setPermission: Permissions.setPermission,
  deletePermission: Permissions.deletePermission,
  listRobots: Robots.listRobots,
  getRobot: Robots.getRobot,
  createRobot: Robots.createRobot,
  deleteRobot: Robots.deleteRobot,
  regenerateRobot: Robots.regenerateRobot,
  listNotifications: Notifications.listNotifications,
  listNotificationsRedirect: Permissions.redirectToSlash,
  createNotification: Notifications.createNotification,
  getNotification: Notifications.getNotification,
  deleteNotification: Notifications.deleteNotification,
  resetNotification: Notifications.resetNotification,
  testNotification: Notifications.testNotification
}

const bearer = (authorization: string | undefined): string | undefined => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")
  return m?.[1]
}

const decodeSegment = (segment: string | undefined): unknown => {
  try {
    return JSON.parse(Buffer.from(segment ?? "", "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

const stringField = (value: unknown, key: string): string | undefined =>
  typeof value === "object" && value !== null && key in value && typeof (value as Record<string, unknown>)[key] === "string"
    ? String((value as Record<string, unknown>)[key])
    : undefined

/**
 * Quay treats a bearer as an SSO JWT only when its header says `typ: JWT` (or `at+jwt`); any other token, even one
 * shaped like `eyJ….….…`, is an ordinary OAuth token. A JWT is validated against the configured issuers, of which
 * this simulator has none, so every JWT is refused with the reason Quay gives.
 */
const jwtRefusal = (token: string): QuayAnswer | undefined => {
  const [header, payload] = token.split(".")
  const typ = stringField(decodeSegment(header), "typ")
  if (typ === undefined || !["jwt", "at+jwt"].includes(typ.toLowerCase())) return undefined
  const issuer = stringField(decodeSegment(payload), "iss")
  return issuer === undefined
    ? Wire.errorAbort(401, "Token does not contain issuer")
    : Wire.errorAbort(401, `Issuer ${issuer} not configured`)
}

const isRead = (method: string): boolean => method === "GET" || method === "HEAD"

export const answer = (state: QuayState, match: RouteMatch, request: QuayRequest): QuayAnswer => {
  const method = request.method.toUpperCase()
  switch (match._tag) {
    case "NotFound":
      if (!match.insideApi) return Wire.pageNotFound
      // Werkzeug adds a missing trailing slash to a GET or HEAD (a rule ending in `/` takes the path then); a path
      // that already ends in `/`, or any other method, falls to the web UI's 404 page.
      return isRead(method) && !request.path.endsWith("/") ? slashRedirect(request, state.hostname) : Wire.webUiNotFound
    case "MethodNotAllowed":
      return Wire.methodNotAllowed(match.allowed)
    case "Options":
      return Wire.options(match.allowed)
    case "Matched":
      break
  }
  if (!state.notificationsAvailable && Notifications.routes.has(match.route)) return Wire.webUiNotFound
  const token = bearer(request.authorization)
  const refusal = token === undefined ? undefined : jwtRefusal(token)
  if (refusal !== undefined) return refusal
  const caller = token === undefined ? undefined : state.tokens.get(token)
  // Without a valid token Quay carries on as anonymous; writes then fail the CSRF check first.
  if (caller === undefined && !isRead(method)) return Wire.csrfRejected
  const host = request.host ?? state.hostname
  const query = request.query ?? new URLSearchParams()
  return handlers[match.route](state, { request, host, caller, query, params: match.params })
}
