import { splitRepository } from "../QuayRoutes.ts"
import { changeVisibilitySchema, newRepoSchema, repositoryNamePattern, repoUpdateSchema } from "../QuayValidation.ts"
import * as Wire from "../QuayWire.ts"
import type { QuayAnswer } from "../QuayWire.ts"
import { orgRole, refuse, repoRole } from "./authorization.ts"
import { field, type RequestContext, requiredBody, truthy } from "./request.ts"
import { atLeast, insertRepository, type QuayState } from "./state.ts"

/** Repository endpoints (Quay's `endpoints/api/repository.py`). */

const pageSize = 100

const encodePageToken = (startId: number): string => Buffer.from(JSON.stringify({ start_id: startId })).toString("base64url")

const decodePageToken = (token: string | null): number => {
  if (token === null) return 0
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"))
    if (typeof parsed === "object" && parsed !== null && "start_id" in parsed && typeof parsed.start_id === "number") {
      return parsed.start_id
    }
  } catch {
    // An undecodable token starts from the beginning, as Quay's decrypt failure does.
  }
  return 0
}

const privateAllowanceExceeded = (state: QuayState, namespace: string): boolean => {
  const org = state.organizations.get(namespace)
  if (org === undefined || org.plan === "paid") return false
  const allowance = 0
  const privateCount = [...state.repositories.values()].filter(
    (r) => r.namespace === namespace && r.visibility === "private"
  ).length
  return privateCount >= allowance
}

export const listRepositories = (state: QuayState, c: RequestContext): QuayAnswer => {
  const namespace = c.query.get("namespace")
  const starred = truthy(c.query.get("starred"), false)
  const includePublic = truthy(c.query.get("public"), false)
  if (namespace === null && !starred && !includePublic) {
    return Wire.invalidRequest(c.host, "namespace, starred or public are required for this API call")
  }
  // Without a valid token Quay lists nothing unless public repositories were asked for.
  if (c.caller === undefined && !includePublic) return Wire.json(200, { repositories: [] })
  const startId = decodePageToken(c.query.get("next_page"))
  const visible = [...state.repositories.values()]
    .filter((r) => (namespace === null ? true : r.namespace === namespace))
    // Nothing is ever starred, so a starred-only listing is empty.
    .filter(() => namespace !== null || includePublic)
    .filter((r) => r.visibility === "public" || atLeast(repoRole(state, c.caller, r.namespace, r.name), "read"))
    .filter((r) => r.id >= startId)
    .sort((a, b) => a.id - b.id)
  const page = visible.slice(0, pageSize)
  const withLastModified = truthy(c.query.get("last_modified"), false)
  const withPopularity = truthy(c.query.get("popularity"), false)
  const repositories = page.map((r) => ({
    namespace: r.namespace,
    name: r.name,
    description: r.description,
    is_public: r.visibility === "public",
    kind: r.kind,
    state: r.state,
    ...(withLastModified ? { last_modified: null } : {}),
    ...(withPopularity ? { popularity: 0.0 } : {}),
    ...(c.caller !== undefined ? { is_starred: false } : {})
  }))
  const following = visible[pageSize]
  return Wire.json(200, {
    repositories,
    ...(following !== undefined ? { next_page: encodePageToken(following.id) } : {})
  })
}

export const createRepository = (state: QuayState, c: RequestContext): QuayAnswer => {
  const body = requiredBody(c.request, c.host, newRepoSchema)
  if (body._tag === "Rejected") return body.answer
  const caller = c.caller
  if (caller === undefined) return refuse(c)
  const namespaceField = field(body.value, "namespace")
  const namespace = typeof namespaceField === "string" ? namespaceField : caller.user
  const name = String(field(body.value, "repository"))
  const visibility = field(body.value, "visibility") === "private" ? "private" : "public"
  const description = String(field(body.value, "description"))
  const kindField = field(body.value, "repo_kind")
  const kind = typeof kindField === "string" ? kindField : "image"
  const role = orgRole(state, caller, namespace)
  const mayCreate = namespace === caller.user || role === "admin" || role === "creator"
  if (!mayCreate) return refuse(c)
  if (state.repositories.has(`${namespace}/${name}`)) return Wire.invalidRequest(c.host, "Repository already exists")
  if (visibility === "private" && privateAllowanceExceeded(state, namespace)) return Wire.paymentRequired(c.host)
  if (!repositoryNamePattern.test(name)) return Wire.invalidRequest(c.host, "Invalid repository name")
  insertRepository(state, { namespace, name, visibility, description, kind, owner: caller.user })
  return Wire.json(201, { namespace, name, kind })
}

export const getRepository = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  const role = repoRole(state, c.caller, namespace, name)
  const repo = state.repositories.get(`${namespace}/${name}`)
  if (!atLeast(role, "read") && repo?.visibility !== "public") return refuse(c)
  if (repo === undefined) return Wire.notFound(c.host)
  const org = state.organizations.get(namespace)
  return Wire.json(200, {
    namespace,
    name,
    kind: repo.kind,
    description: repo.description,
    is_public: repo.visibility === "public",
    is_organization: org !== undefined,
    is_starred: false,
    status_token: repo.visibility === "public" ? "" : repo.statusToken,
    trust_enabled: false,
    tag_expiration_s: 1209600,
    is_free_account: org?.plan === "free",
    state: repo.state,
    can_write: atLeast(role, "write"),
    can_admin: atLeast(role, "admin"),
    ...(truthy(c.query.get("includeTags"), true) ? { tags: {} } : {}),
    ...(truthy(c.query.get("includeStats"), false) ? { stats: [] } : {})
  })
}

export const updateRepository = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  if (!atLeast(repoRole(state, c.caller, namespace, name), "write")) return refuse(c)
  const body = requiredBody(c.request, c.host, repoUpdateSchema)
  if (body._tag === "Rejected") return body.answer
  const repo = state.repositories.get(`${namespace}/${name}`)
  if (repo === undefined) return Wire.notFound(c.host)
  repo.description = String(field(body.value, "description"))
  return Wire.json(200, { success: true })
}

export const deleteRepository = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  if (!atLeast(repoRole(state, c.caller, namespace, name), "admin")) return refuse(c)
  // Marked for deletion: the name is free at once, and an absent repository is also a 204.
  state.repositories.delete(`${namespace}/${name}`)
  return Wire.noContent
}

export const changeVisibility = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  if (!atLeast(repoRole(state, c.caller, namespace, name), "admin")) return refuse(c)
  const body = requiredBody(c.request, c.host, changeVisibilitySchema)
  if (body._tag === "Rejected") return body.answer
  const repo = state.repositories.get(`${namespace}/${name}`)
  if (repo === undefined) return Wire.json(200, null)
  const visibility = field(body.value, "visibility") === "private" ? "private" : "public"
  // The allowance check runs even when the repository is private already (it counts itself).
  if (visibility === "private" && privateAllowanceExceeded(state, namespace)) return Wire.paymentRequired(c.host)
  repo.visibility = visibility
  return Wire.json(200, { success: true })
}
