import * as Wire from "../QuayWire.ts"
import type { QuayAnswer } from "../QuayWire.ts"
import type { RequestContext } from "./request.ts"
import { type Access, atLeast, type Caller, maxRole, minRole, type OrgRole, type QuayState, type Role } from "./state.ts"

/**
 * Who may do what (Quay's `auth/permissions.py`): the roles a user holds in an organization and on a repository,
 * capped by the OAuth token's scopes (quay-api §2), and what registry credentials may push or pull.
 */

const orgRoleRank: Record<OrgRole, number> = { member: 1, creator: 2, admin: 3 }

export const orgRole = (state: QuayState, caller: Caller | undefined, namespace: string): OrgRole | undefined => {
  if (caller === undefined) return undefined
  const team = state.organizations.get(namespace)?.members.get(caller.user)
  if (team === undefined) return undefined
  const cap: OrgRole | undefined = caller.scopes.has("org:admin")
    ? "admin"
    : caller.scopes.has("repo:create")
    ? "creator"
    : undefined
  if (cap === undefined) return undefined
  return orgRoleRank[team] <= orgRoleRank[cap] ? team : cap
}

export const repoRole = (state: QuayState, caller: Caller | undefined, namespace: string, name: string): Role | undefined => {
  if (caller === undefined) return undefined
  const cap: Role | undefined = caller.scopes.has("repo:admin")
    ? "admin"
    : caller.scopes.has("repo:write")
    ? "write"
    : caller.scopes.has("repo:read")
    ? "read"
    : undefined
  if (cap === undefined) return undefined
  // Admin team members of the organization administer every repository in it, existing or not.
  const viaOrg: Role | undefined = state.organizations.get(namespace)?.members.get(caller.user) === "admin"
    ? "admin"
    : undefined
  const explicit = state.repositories.get(`${namespace}/${name}`)?.grants.get(caller.user)
  const own: Role | undefined = namespace === caller.user ? "admin" : undefined
  const best = maxRole(maxRole(viaOrg, explicit), own)
  return best === undefined ? undefined : minRole(best, cap)
}

/** `Unauthorized`: 401 without an authenticated user, 403 with one. */
export const refuse = (c: RequestContext): QuayAnswer => Wire.unauthorized(c.host, c.caller !== undefined)

const timingSafeEqual = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * Whether registry credentials (`docker login -u <user> -p <token>`) may push or pull `<ns>/<name>`.
 * Robots with write/admin may push and pull, read may pull; anyone (even anonymous, empty credentials)
 * may pull a public repository. Wrong credentials are refused outright, as a registry login would be.
 */
export const authorizeRegistry = (
  state: QuayState,
  username: string,
  token: string,
  repository: string,
  access: Access
): boolean => {
  if (!repository.includes("/")) return false
  const repo = state.repositories.get(repository)
  if (repo === undefined) return false
  if (username === "" && token === "") return access === "pull" && repo.visibility === "public"
  const robot = state.robots.get(username)
  if (robot === undefined || !timingSafeEqual(robot.token, token)) return false
  const role = repo.grants.get(username)
  return access === "pull" ? repo.visibility === "public" || atLeast(role, "read") : atLeast(role, "write")
}
