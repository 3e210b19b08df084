import { splitRepository } from "../QuayRoutes.ts"
import { userPermissionSchema } from "../QuayValidation.ts"
import * as Wire from "../QuayWire.ts"
import type { QuayAnswer } from "../QuayWire.ts"
import { refuse, repoRole } from "./authorization.ts"
import { field, type RequestContext, requiredBody, slashRedirect } from "./request.ts"
import { atLeast, avatar, type QuayState, type Role } from "./state.ts"

/** Repository permission endpoints for users and robots (Quay's `endpoints/api/permission.py`). */

export const redirectToSlash = (state: QuayState, c: RequestContext): QuayAnswer =>
  slashRedirect(c.request, state.hostname)

const permissionView = (state: QuayState, namespace: string, username: string, role: Role): Record<string, unknown> => {
  const isRobot = username.includes("+")
  return {
    role,
    name: username,
    is_robot: isRobot,
    avatar: avatar(username, isRobot ? "robot" : "user"),
    ...(state.organizations.has(namespace)
      ? { is_org_member: isRobot || state.organizations.get(namespace)?.members.has(username) === true }
      : {})
  }
}

export const listPermissions = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  if (!atLeast(repoRole(state, c.caller, namespace, name), "admin")) return refuse(c)
  const repo = state.repositories.get(`${namespace}/${name}`)
  const permissions = Object.fromEntries(
    [...(repo?.grants ?? [])].map(([username, role]) => [username, permissionView(state, namespace, username, role)])
  )
  return Wire.json(200, { permissions })
}

/** Teams are not modelled: no repository has a team permission. */
export const listTeamPermissions = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  if (!atLeast(repoRole(state, c.caller, namespace, name), "admin")) return refuse(c)
  return Wire.json(200, { permissions: {} })
}

export const getPermission = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  const username = c.params[1] ?? ""
  if (!atLeast(repoRole(state, c.caller, namespace, name), "admin")) return refuse(c)
  const role = state.repositories.get(`${namespace}/${name}`)?.grants.get(username)
  if (role === undefined) return Wire.message(400, "User does not have permission for repo.")
  return Wire.json(200, permissionView(state, namespace, username, role))
}

export const setPermission = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  const username = c.params[1] ?? ""
  if (!atLeast(repoRole(state, c.caller, namespace, name), "admin")) return refuse(c)
  const body = requiredBody(c.request, c.host, userPermissionSchema)
  if (body._tag === "Rejected") return body.answer
  const role = field(body.value, "role") as Role
  if (username === namespace) return Wire.invalidRequest(c.host, "Namespace owner must always be admin.")
  const robot = state.robots.get(username)
  if (robot === undefined && !state.users.has(username)) {
    return Wire.invalidRequest(c.host, `Invalid username: ${username}`)
  }
  if (robot !== undefined && robot.organization !== namespace) {
    return Wire.invalidRequest(c.host, `Cannot add robot ${username} under namespace ${namespace}`)
  }
  const repo = state.repositories.get(`${namespace}/${name}`)
  // Quay's lookup raises Repository.DoesNotExist unhandled here: a 500, not a 404.
  if (repo === undefined) return Wire.internalServerError
  repo.grants.set(username, role)
  return Wire.json(200, permissionView(state, namespace, username, role))
}

export const deletePermission = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  const username = c.params[1] ?? ""
  if (!atLeast(repoRole(state, c.caller, namespace, name), "admin")) return refuse(c)
  if (username === namespace) return Wire.invalidRequest(c.host, "Namespace owner must always be admin.")
  const repo = state.repositories.get(`${namespace}/${name}`)
  if (repo === undefined || !repo.grants.has(username)) {
    return Wire.invalidRequest(c.host, "User does not have permission for repo.")
  }
  repo.grants.delete(username)
  return Wire.noContent
}
