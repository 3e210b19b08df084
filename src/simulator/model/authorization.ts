import * as Wire from "../QuayWire.ts"
import type { QuayAnswer } from "../QuayWire.ts"
import type { RequestContext } from "./request.ts"
import { type Caller, maxRole, minRole, type OrgRole, type QuayState, type Role } from "./state.ts"

/**
 * Who may do what (Quay's `auth/permissions.py`): the roles a user holds in an organization and on a repository,
 * capped by the OAuth token's scopes (quay-api §2).
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

