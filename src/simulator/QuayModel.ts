import { createHash, randomBytes } from "node:crypto"
import { FaultInjector, faultResponse, type FaultPlan } from "./QuayFaults.ts"
import { matchRoute, splitRepository, type RouteName } from "./QuayRoutes.ts"
import {
  changeVisibilitySchema,
  createRobotSchema,
  newRepoSchema,
  repositoryNamePattern,
  repoUpdateSchema,
  schemaViolation,
  userPermissionSchema,
  usernameIssue,
  type BodySchema
} from "./QuayValidation.ts"
import * as Wire from "./QuayWire.ts"
import type { QuayAnswer, QuayRequest, QuayResponse } from "./QuayWire.ts"

/**
 * The state and semantics of ONE Quay server (api/v1, as quay/quay's source behaves), as a synchronous
 * state machine. It speaks requests (method + path + headers + body) and answers with Quay's real status
 * codes and bodies, so the HTTP simulator and the in-memory `Quay` layer both drive this one object and
 * cannot disagree. Everything the operator uses is here; tags, teams and notifications are not.
 */

export type Plan = "free" | "paid"
export type Role = "read" | "write" | "admin"
export type OrgRole = "member" | "creator" | "admin"
export type Scope = "repo:read" | "repo:write" | "repo:admin" | "repo:create" | "user:read" | "user:admin" | "org:admin"
export type Access = "push" | "pull"

/** The scopes of a typical operator token (quay-api §2). */
export const operatorScopes: ReadonlyArray<Scope> = ["org:admin", "repo:admin", "repo:create", "user:read"]

export interface QuayModelOptions {
  readonly organization: string
  /** The operator's OAuth token; it acts as `adminUser`, an admin of the organization. */
  readonly token: string
  readonly adminUser?: string
  readonly plan?: Plan
  /** Host used in ApiException `type` URLs when the request carries none. */
  readonly hostname?: string
  readonly now?: () => number
}

interface Repository {
  readonly id: number
  readonly namespace: string
  readonly name: string
  visibility: "public" | "private"
  description: string | null
  readonly kind: string
  /** Deleted repositories leave the map at once (their name is free again), so only NORMAL is ever seen. */
  readonly state: "NORMAL"
  readonly statusToken: string
  /** Explicit grants: user or robot full name → role. */
  readonly grants: Map<string, Role>
}

interface Robot {
  readonly organization: string
  readonly shortName: string
  token: string
  readonly description: string
  readonly created: number
  readonly metadata: unknown
}

interface Organization {
  plan: Plan
  /** Team roles of users in the organization. */
  readonly members: Map<string, OrgRole>
}

interface Caller {
  readonly user: string
  readonly scopes: ReadonlySet<Scope>
}

export interface RepositorySnapshot {
  readonly namespace: string
  readonly name: string
  readonly visibility: "public" | "private"
  readonly description: string | null
  readonly permissions: Readonly<Record<string, Role>>
}

export interface RobotSnapshot {
  /** `<org>+<short>` */
  readonly name: string
  readonly organization: string
  readonly shortName: string
  readonly description: string
  readonly created: string
}

export interface PermissionSnapshot {
  readonly namespace: string
  readonly repository: string
  readonly username: string
  readonly role: Role
}

export interface RequestCounts {
  readonly total: number
  /** endpoint (`METHOD /api/v1/template`) → status (or `timeout`) → count */
  readonly byEndpoint: Readonly<Record<string, Readonly<Record<string, number>>>>
}

/** The whole state, without any token. */
export interface ModelSnapshot {
  readonly organizations: ReadonlyArray<{ readonly name: string; readonly plan: Plan }>
  readonly repositories: ReadonlyArray<RepositorySnapshot>
  readonly robots: ReadonlyArray<RobotSnapshot>
  readonly permissions: ReadonlyArray<PermissionSnapshot>
}

const roleRank: Record<Role, number> = { read: 1, write: 2, admin: 3 }
const orgRoleRank: Record<OrgRole, number> = { member: 1, creator: 2, admin: 3 }

const minRole = (a: Role, b: Role): Role => (roleRank[a] <= roleRank[b] ? a : b)
const atLeast = (role: Role | undefined, wanted: Role): boolean => role !== undefined && roleRank[role] >= roleRank[wanted]

const robotTokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/** 64 characters of [A-Z0-9] from the system CSPRNG, unbiased (rejection sampling). */
export const generateRobotToken = (): string => {
  let token = ""
  while (token.length < 64) {
    for (const byte of randomBytes(96)) {
      if (byte < 252 && token.length < 64) token += robotTokenAlphabet[byte % 36] ?? ""
    }
  }
  return token
}

/** `email.utils.formatdate(ts, usegmt=False)` in UTC: `Tue, 01 Apr 2025 10:00:00 -0000`. */
export const formatRfc2822 = (millis: number): string =>
  new Date(millis).toUTCString().replace(/GMT$/, "-0000")

const avatar = (name: string, kind: "user" | "robot" | "org"): Record<string, string> => {
  const hash = createHash("md5").update(name).digest("hex")
  return { name, hash, color: `#${hash.slice(0, 6)}`, kind }
}

/** Flask-RESTful's `truthy_bool` for query parameters. */
const truthy = (value: string | null, fallback: boolean): boolean =>
  value === null ? fallback : !["false", "0", "", "f", "n", "no"].includes(value.toLowerCase())

const pageSize = 100

const encodePageToken = (startId: number): string =>
  Buffer.from(JSON.stringify({ start_id: startId })).toString("base64url")

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

type BodyResult = { readonly _tag: "Body"; readonly value: unknown } | { readonly _tag: "Rejected"; readonly answer: QuayAnswer }

/** Flask's `request.get_json()` for a required body, then the endpoint's JSON schema. */
const requiredBody = (request: QuayRequest, host: string, schema: BodySchema): BodyResult => {
  const mime = (request.contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? ""
  const isJson = mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"))
  if (!isJson) return { _tag: "Rejected", answer: Wire.unsupportedMediaType }
  let value: unknown
  try {
    value = JSON.parse(request.body ?? "")
  } catch {
    return { _tag: "Rejected", answer: Wire.malformedJson }
  }
  if (value === null) return { _tag: "Rejected", answer: Wire.invalidRequest(host, "Missing JSON body") }
  const violation = schemaViolation(schema, value)
  return violation === undefined
    ? { _tag: "Body", value }
    : { _tag: "Rejected", answer: Wire.invalidRequest(host, violation) }
}

/** `get_json(silent=True)` for an optional body: anything that is not JSON counts as `{}`. */
const optionalBody = (request: QuayRequest, host: string, schema: BodySchema): BodyResult => {
  let value: unknown = {}
  const mime = (request.contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? ""
  if (mime === "application/json" && request.body !== undefined && request.body !== "") {
    try {
      value = JSON.parse(request.body) ?? {}
    } catch {
      value = {}
    }
  }
  const violation = schemaViolation(schema, value)
  return violation === undefined
    ? { _tag: "Body", value }
    : { _tag: "Rejected", answer: Wire.invalidRequest(host, violation) }
}

const field = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null && key in body ? (body as Record<string, unknown>)[key] : undefined

const bearer = (authorization: string | undefined): string | undefined => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")
  return m?.[1]
}

const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)

export class QuayModel {
  readonly organization: string
  readonly adminUser: string
  private readonly hostname: string
  private readonly now: () => number
  private readonly organizations = new Map<string, Organization>()
  private readonly users = new Set<string>()
  private readonly tokens = new Map<string, Caller>()
  private readonly repositories = new Map<string, Repository>()
  private readonly robots = new Map<string, Robot>()
  private readonly faults = new FaultInjector()
  private counts = new Map<string, Map<string, number>>()
  private total = 0
  private nextRepositoryId = 1

  constructor(options: QuayModelOptions) {
    this.organization = options.organization
    this.adminUser = options.adminUser ?? "operator"
    this.hostname = options.hostname ?? "quay.io"
    this.now = options.now ?? Date.now
    this.addOrganization(options.organization, options.plan ?? "paid")
    this.addUser(this.adminUser, { organization: options.organization, role: "admin", token: options.token })
  }

  // ---------------------------------------------------------------------------------------------
  // Setup and out-of-band changes (not requests: never counted, never faulted)

  addOrganization(name: string, plan: Plan = "paid"): void {
    if (!this.organizations.has(name)) this.organizations.set(name, { plan, members: new Map() })
  }

  /** A user, optionally in an organization's team with a role, optionally with an OAuth token. */
  addUser(
    name: string,
    options: {
      readonly organization?: string
      readonly role?: OrgRole
      readonly token?: string
      readonly scopes?: ReadonlyArray<Scope>
    } = {}
  ): void {
    this.users.add(name)
    if (options.organization !== undefined && options.role !== undefined) {
      this.addOrganization(options.organization)
      this.organizations.get(options.organization)?.members.set(name, options.role)
    }
    if (options.token !== undefined) {
      this.tokens.set(options.token, { user: name, scopes: new Set(options.scopes ?? operatorScopes) })
    }
  }

  setPlan(plan: Plan, organization: string = this.organization): void {
    this.addOrganization(organization)
    const org = this.organizations.get(organization)
    if (org !== undefined) org.plan = plan
  }

  /** Creates a repository behind the operator's back, owned (admin grant) by `owner`. */
  putRepository(input: {
    readonly namespace?: string
    readonly name: string
    readonly visibility?: "public" | "private"
    readonly description?: string | null
    readonly owner?: string
  }): void {
    const namespace = input.namespace ?? this.organization
    const key = `${namespace}/${input.name}`
    if (this.repositories.has(key)) return
    const owner = input.owner ?? "someone-else"
    this.users.add(owner)
    this.insertRepository(namespace, input.name, input.visibility ?? "private", input.description ?? "", "image", owner)
  }

  /** Deletes a repository behind the operator's back. True when there was one. */
  removeRepository(name: string, namespace: string = this.organization): boolean {
    return this.repositories.delete(`${namespace}/${name}`)
  }

  /** Deletes a robot (and its grants) behind the operator's back. True when there was one. */
  removeRobot(shortName: string, organization: string = this.organization): boolean {
    const full = `${organization}+${shortName}`
    if (!this.robots.has(full)) return false
    this.dropRobot(full)
    return true
  }

  /** Flips a repository's visibility behind the operator's back. True when there was one. */
  changeVisibilityOutOfBand(name: string, visibility: "public" | "private", namespace: string = this.organization): boolean {
    const repo = this.repositories.get(`${namespace}/${name}`)
    if (repo === undefined) return false
    repo.visibility = visibility
    return true
  }

  /** Removes a grant behind the operator's back. True when there was one. */
  revokePermission(name: string, username: string, namespace: string = this.organization): boolean {
    return this.repositories.get(`${namespace}/${name}`)?.grants.delete(username) === true
  }

  /** Replaces a robot's token behind the operator's back (someone pressed "regenerate" in the UI). */
  rotateRobotToken(shortName: string, organization: string = this.organization): boolean {
    const robot = this.robots.get(`${organization}+${shortName}`)
    if (robot === undefined) return false
    robot.token = generateRobotToken()
    return true
  }

  /** The robot's current token, for tests that check what a Secret holds. */
  robotToken(shortName: string, organization: string = this.organization): string | undefined {
    return this.robots.get(`${organization}+${shortName}`)?.token
  }

  injectFaults(plan: FaultPlan): void {
    this.faults.set(plan)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  get activeFaults(): { readonly kind: string; readonly next: number; readonly rate: number } {
    return this.faults.active
  }

  // ---------------------------------------------------------------------------------------------
  // Registry authentication

  /**
   * Whether registry credentials (`docker login -u <user> -p <token>`) may push or pull `<ns>/<name>`.
   * Robots with write/admin may push and pull, read may pull; anyone (even anonymous, empty credentials)
   * may pull a public repository. Wrong credentials are refused outright, as a registry login would be.
   */
  authorize(username: string, token: string, repository: string, access: Access): boolean {
    if (!repository.includes("/")) return false
    const repo = this.repositories.get(repository)
    if (repo === undefined) return false
    if (username === "" && token === "") return access === "pull" && repo.visibility === "public"
    const robot = this.robots.get(username)
    if (robot === undefined || !timingSafeEqual(robot.token, token)) return false
    const role = repo.grants.get(username)
    return access === "pull" ? repo.visibility === "public" || atLeast(role, "read") : atLeast(role, "write")
  }

  // ---------------------------------------------------------------------------------------------
  // Observation

  snapshot(): ModelSnapshot {
    const repositories = [...this.repositories.values()]
    return {
      organizations: [...this.organizations.entries()].map(([name, org]) => ({ name, plan: org.plan })),
      repositories: repositories.map((r) => ({
        namespace: r.namespace,
        name: r.name,
        visibility: r.visibility,
        description: r.description,
        permissions: Object.fromEntries(r.grants)
      })),
      robots: [...this.robots.values()].map((r) => ({
        name: `${r.organization}+${r.shortName}`,
        organization: r.organization,
        shortName: r.shortName,
        description: r.description,
        created: formatRfc2822(r.created)
      })),
      permissions: repositories.flatMap((r) =>
        [...r.grants].map(([username, role]) => ({ namespace: r.namespace, repository: r.name, username, role }))
      )
    }
  }

  requestCounts(): RequestCounts {
    const byEndpoint: Record<string, Record<string, number>> = {}
    for (const [endpoint, statuses] of this.counts) byEndpoint[endpoint] = Object.fromEntries(statuses)
    return { total: this.total, byEndpoint }
  }

  resetRequestCounts(): void {
    this.counts = new Map()
    this.total = 0
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  /** Answers one API request as Quay (behind its nginx) would, counting it by endpoint and status. */
  handle(request: QuayRequest): QuayResponse {
    const match = matchRoute(request.method, request.path)
    const fault = this.faults.draw()
    const response = fault !== undefined ? faultResponse(fault) : this.answer(match, request)
    this.count(match.endpoint, response._tag === "Answer" ? String(response.status) : "timeout")
    return response
  }

  /** Counts a request answered in front of Quay (the proxy's rate limit), under its endpoint. */
  recordProxyAnswer(method: string, path: string, status: number): void {
    this.count(matchRoute(method, path).endpoint, String(status))
  }

  private count(endpoint: string, status: string): void {
    const statuses = this.counts.get(endpoint) ?? new Map<string, number>()
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    this.counts.set(endpoint, statuses)
    this.total += 1
  }

  private answer(match: ReturnType<typeof matchRoute>, request: QuayRequest): QuayAnswer {
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
    const caller = token === undefined ? undefined : this.tokens.get(token)
    // An unknown token that looks like a JWT is validated as an SSO token and refused at once.
    if (token !== undefined && caller === undefined && looksLikeJwt(token)) {
      return Wire.errorAbort(401, "Invalid JWT token")
    }
    // Without a valid token Quay carries on as anonymous; writes then fail the CSRF check first.
    const method = request.method.toUpperCase()
    if (caller === undefined && method !== "GET" && method !== "HEAD") return Wire.csrfRejected
    const host = request.host ?? this.hostname
    const query = request.query ?? new URLSearchParams()
    const context: RequestContext = { request, host, caller, query, params: match.params }
    return this.route(match.route, context)
  }

  private route(route: RouteName, c: RequestContext): QuayAnswer {
    switch (route) {
      case "listRepositories":
        return this.listRepositories(c)
      case "createRepository":
        return this.createRepository(c)
      case "getRepository":
        return this.getRepository(c)
      case "updateRepository":
        return this.updateRepository(c)
      case "deleteRepository":
        return this.deleteRepository(c)
      case "changeVisibility":
        return this.changeVisibility(c)
      case "listPermissionsRedirect":
        return this.redirectToSlash(c)
      case "listPermissions":
        return this.listPermissions(c)
      case "getPermission":
        return this.getPermission(c)
      case "setPermission":
        return this.setPermission(c)
      case "deletePermission":
        return this.deletePermission(c)
      case "listRobots":
        return this.listRobots(c)
      case "getRobot":
        return this.getRobot(c)
      case "createRobot":
        return this.createRobot(c)
      case "deleteRobot":
        return this.deleteRobot(c)
      case "regenerateRobot":
        return this.regenerateRobot(c)
    }
  }

  // --- permissions (auth/permissions.py, capped by the token's scopes) ---

  private orgRole(caller: Caller | undefined, namespace: string): OrgRole | undefined {
    if (caller === undefined) return undefined
    const team = this.organizations.get(namespace)?.members.get(caller.user)
    if (team === undefined) return undefined
    const cap: OrgRole | undefined = caller.scopes.has("org:admin")
      ? "admin"
      : caller.scopes.has("repo:create")
      ? "creator"
      : undefined
    if (cap === undefined) return undefined
    return orgRoleRank[team] <= orgRoleRank[cap] ? team : cap
  }

  private repoRole(caller: Caller | undefined, namespace: string, name: string): Role | undefined {
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
    const viaOrg: Role | undefined = this.organizations.get(namespace)?.members.get(caller.user) === "admin"
      ? "admin"
      : undefined
    const explicit = this.repositories.get(`${namespace}/${name}`)?.grants.get(caller.user)
    const own: Role | undefined = namespace === caller.user ? "admin" : undefined
    const best = [viaOrg, explicit, own].reduce<Role | undefined>(
      (acc, r) => (r === undefined ? acc : acc === undefined || roleRank[r] > roleRank[acc] ? r : acc),
      undefined
    )
    return best === undefined ? undefined : minRole(best, cap)
  }

  private refuse(c: RequestContext): QuayAnswer {
    return Wire.unauthorized(c.host, c.caller !== undefined)
  }

  private privateAllowanceExceeded(namespace: string): boolean {
    const org = this.organizations.get(namespace)
    if (org === undefined || org.plan === "paid") return false
    const allowance = 0
    const privateCount = [...this.repositories.values()].filter(
      (r) => r.namespace === namespace && r.visibility === "private"
    ).length
    return privateCount >= allowance
  }

  private insertRepository(
    namespace: string,
    name: string,
    visibility: "public" | "private",
    description: string | null,
    kind: string,
    owner: string
  ): Repository {
    const repo: Repository = {
      id: this.nextRepositoryId++,
      namespace,
      name,
      visibility,
      description,
      kind,
      state: "NORMAL",
      statusToken: randomBytes(16).toString("hex"),
      grants: new Map([[owner, "admin"]])
    }
    this.repositories.set(`${namespace}/${name}`, repo)
    return repo
  }

  private dropRobot(fullName: string): void {
    this.robots.delete(fullName)
    for (const repo of this.repositories.values()) repo.grants.delete(fullName)
  }

  // --- repositories (endpoints/api/repository.py) ---

  private listRepositories(c: RequestContext): QuayAnswer {
    const namespace = c.query.get("namespace")
    const starred = truthy(c.query.get("starred"), false)
    const includePublic = truthy(c.query.get("public"), false)
    if (namespace === null && !starred && !includePublic) {
      return Wire.invalidRequest(c.host, "namespace, starred or public are required for this API call")
    }
    const startId = decodePageToken(c.query.get("next_page"))
    const visible = [...this.repositories.values()]
      .filter((r) => (namespace === null ? true : r.namespace === namespace))
      // Nothing is ever starred, so a starred-only listing is empty.
      .filter(() => namespace !== null || includePublic)
      .filter((r) => r.visibility === "public" || atLeast(this.repoRole(c.caller, r.namespace, r.name), "read"))
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

  private createRepository(c: RequestContext): QuayAnswer {
    const body = requiredBody(c.request, c.host, newRepoSchema)
    if (body._tag === "Rejected") return body.answer
    const caller = c.caller
    if (caller === undefined) return this.refuse(c)
    const namespaceField = field(body.value, "namespace")
    const namespace = typeof namespaceField === "string" ? namespaceField : caller.user
    const name = String(field(body.value, "repository"))
    const visibility = field(body.value, "visibility") === "private" ? "private" : "public"
    const description = String(field(body.value, "description"))
    const kindField = field(body.value, "repo_kind")
    const kind = typeof kindField === "string" ? kindField : "image"
    const role = this.orgRole(caller, namespace)
    const mayCreate = namespace === caller.user || role === "admin" || role === "creator"
    if (!mayCreate) return this.refuse(c)
    if (this.repositories.has(`${namespace}/${name}`)) return Wire.invalidRequest(c.host, "Repository already exists")
    if (visibility === "private" && this.privateAllowanceExceeded(namespace)) return Wire.paymentRequired(c.host)
    if (!repositoryNamePattern.test(name)) return Wire.invalidRequest(c.host, "Invalid repository name")
    this.insertRepository(namespace, name, visibility, description, kind, caller.user)
    return Wire.json(201, { namespace, name, kind })
  }

  private getRepository(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    const role = this.repoRole(c.caller, namespace, name)
    const repo = this.repositories.get(`${namespace}/${name}`)
    if (!atLeast(role, "read") && repo?.visibility !== "public") return this.refuse(c)
    if (repo === undefined) return Wire.notFound(c.host)
    const org = this.organizations.get(namespace)
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

  private updateRepository(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    if (!atLeast(this.repoRole(c.caller, namespace, name), "write")) return this.refuse(c)
    const body = requiredBody(c.request, c.host, repoUpdateSchema)
    if (body._tag === "Rejected") return body.answer
    const repo = this.repositories.get(`${namespace}/${name}`)
    if (repo === undefined) return Wire.notFound(c.host)
    repo.description = String(field(body.value, "description"))
    return Wire.json(200, { success: true })
  }

  private deleteRepository(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    if (!atLeast(this.repoRole(c.caller, namespace, name), "admin")) return this.refuse(c)
    // Marked for deletion: the name is free at once, and an absent repository is also a 204.
    this.repositories.delete(`${namespace}/${name}`)
    return Wire.empty(204)
  }

  private changeVisibility(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    if (!atLeast(this.repoRole(c.caller, namespace, name), "admin")) return this.refuse(c)
    const body = requiredBody(c.request, c.host, changeVisibilitySchema)
    if (body._tag === "Rejected") return body.answer
    const repo = this.repositories.get(`${namespace}/${name}`)
    if (repo === undefined) return Wire.json(200, null)
    const visibility = field(body.value, "visibility") === "private" ? "private" : "public"
    // The allowance check runs even when the repository is private already (it counts itself).
    if (visibility === "private" && this.privateAllowanceExceeded(namespace)) return Wire.paymentRequired(c.host)
    repo.visibility = visibility
    return Wire.json(200, { success: true })
  }

  // --- repository permissions (endpoints/api/permission.py) ---

  private redirectToSlash(c: RequestContext): QuayAnswer {
    const query = c.query.toString()
    const location = `http://${c.request.host ?? this.hostname}${c.request.path}/${query === "" ? "" : `?${query}`}`
    return Wire.permanentRedirect(location)
  }

  private permissionView(namespace: string, username: string, role: Role): Record<string, unknown> {
    const isRobot = username.includes("+")
    return {
      role,
      name: username,
      is_robot: isRobot,
      avatar: avatar(username, isRobot ? "robot" : "user"),
      ...(this.organizations.has(namespace)
        ? { is_org_member: isRobot || this.organizations.get(namespace)?.members.has(username) === true }
        : {})
    }
  }

  private listPermissions(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    if (!atLeast(this.repoRole(c.caller, namespace, name), "admin")) return this.refuse(c)
    const repo = this.repositories.get(`${namespace}/${name}`)
    const permissions = Object.fromEntries(
      [...(repo?.grants ?? [])].map(([username, role]) => [username, this.permissionView(namespace, username, role)])
    )
    return Wire.json(200, { permissions })
  }

  private getPermission(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    const username = c.params[1] ?? ""
    if (!atLeast(this.repoRole(c.caller, namespace, name), "admin")) return this.refuse(c)
    const role = this.repositories.get(`${namespace}/${name}`)?.grants.get(username)
    if (role === undefined) return Wire.message(400, "User does not have permission for repo.")
    return Wire.json(200, this.permissionView(namespace, username, role))
  }

  private setPermission(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    const username = c.params[1] ?? ""
    if (!atLeast(this.repoRole(c.caller, namespace, name), "admin")) return this.refuse(c)
    const body = requiredBody(c.request, c.host, userPermissionSchema)
    if (body._tag === "Rejected") return body.answer
    const role = field(body.value, "role") as Role
    if (username === namespace) return Wire.invalidRequest(c.host, "Namespace owner must always be admin.")
    const robot = this.robots.get(username)
    if (robot === undefined && !this.users.has(username)) {
      return Wire.invalidRequest(c.host, `Invalid username: ${username}`)
    }
    if (robot !== undefined && robot.organization !== namespace) {
      return Wire.invalidRequest(c.host, `Cannot add robot ${username} under namespace ${namespace}`)
    }
    const repo = this.repositories.get(`${namespace}/${name}`)
    // Quay's lookup raises Repository.DoesNotExist unhandled here: a 500, not a 404.
    if (repo === undefined) return Wire.internalServerError
    repo.grants.set(username, role)
    return Wire.json(200, this.permissionView(namespace, username, role))
  }

  private deletePermission(c: RequestContext): QuayAnswer {
    const { namespace, name } = splitRepository(c.params[0] ?? "")
    const username = c.params[1] ?? ""
    if (!atLeast(this.repoRole(c.caller, namespace, name), "admin")) return this.refuse(c)
    if (username === namespace) return Wire.invalidRequest(c.host, "Namespace owner must always be admin.")
    const repo = this.repositories.get(`${namespace}/${name}`)
    if (repo === undefined || !repo.grants.has(username)) {
      return Wire.invalidRequest(c.host, "User does not have permission for repo.")
    }
    repo.grants.delete(username)
    return Wire.empty(204)
  }

  // --- organization robots (endpoints/api/robot.py) ---

  private robotView(robot: Robot, withToken: boolean): Record<string, unknown> {
    return {
      name: `${robot.organization}+${robot.shortName}`,
      created: formatRfc2822(robot.created),
      last_accessed: null,
      description: robot.description,
      ...(withToken ? { token: robot.token } : {})
    }
  }

  private listRobots(c: RequestContext): QuayAnswer {
    const org = c.params[0] ?? ""
    const role = this.orgRole(c.caller, org)
    if (role === undefined) return this.refuse(c)
    const isAdmin = role === "admin"
    const withToken = isAdmin && truthy(c.query.get("token"), true)
    const withPermissions = isAdmin && truthy(c.query.get("permissions"), false)
    const limitParam = c.query.get("limit")
    const limit = limitParam === null ? undefined : Number.parseInt(limitParam, 10)
    const robots = [...this.robots.values()]
      .filter((r) => r.organization === org)
      .slice(0, limit === undefined || Number.isNaN(limit) ? undefined : Math.max(limit, 0))
      .map((r) => {
        const full = `${r.organization}+${r.shortName}`
        return {
          ...this.robotView(r, withToken),
          ...(withPermissions
            ? {
              teams: [],
              repositories: [...this.repositories.values()]
                .filter((repo) => repo.namespace === org && repo.grants.has(full))
                .map((repo) => repo.name)
            }
            : {})
        }
      })
    return Wire.json(200, { robots })
  }

  private getRobot(c: RequestContext): QuayAnswer {
    const [org = "", shortName = ""] = c.params
    if (this.orgRole(c.caller, org) !== "admin") return this.refuse(c)
    const robot = this.robots.get(`${org}+${shortName}`)
    if (robot === undefined) return Wire.message(400, "Could not find robot with specified username")
    return Wire.json(200, { ...this.robotView(robot, true), unstructured_metadata: robot.metadata ?? {} })
  }

  private createRobot(c: RequestContext): QuayAnswer {
    const [org = "", shortName = ""] = c.params
    const body = optionalBody(c.request, c.host, createRobotSchema)
    if (body._tag === "Rejected") return body.answer
    if (this.orgRole(c.caller, org) !== "admin") return this.refuse(c)
    const issue = usernameIssue(shortName)
    if (issue !== undefined) {
      return Wire.invalidRequest(c.host, `The name for the robot '${shortName}' is invalid: ${issue}`)
    }
    const full = `${org}+${shortName}`
    // The full name lives in a 255-character column: longer ones fail in the database.
    if (full.length > 255) return Wire.message(400, `Robot name '${full}' is too long`)
    if (this.robots.has(full)) return Wire.invalidRequest(c.host, `Existing robot with name: ${full}`)
    const descriptionField = field(body.value, "description")
    const metadata = field(body.value, "unstructured_metadata")
    const robot: Robot = {
      organization: org,
      shortName,
      token: generateRobotToken(),
      description: typeof descriptionField === "string" ? descriptionField : "",
      created: this.now(),
      metadata: metadata ?? null
    }
    this.robots.set(full, robot)
    return Wire.json(201, { ...this.robotView(robot, true), unstructured_metadata: robot.metadata })
  }

  private deleteRobot(c: RequestContext): QuayAnswer {
    const [org = "", shortName = ""] = c.params
    if (this.orgRole(c.caller, org) !== "admin") return this.refuse(c)
    const full = `${org}+${shortName}`
    if (!this.robots.has(full)) return Wire.message(400, "Could not find robot with specified username")
    this.dropRobot(full)
    return Wire.empty(204)
  }

  private regenerateRobot(c: RequestContext): QuayAnswer {
    const [org = "", shortName = ""] = c.params
    if (this.orgRole(c.caller, org) !== "admin") return this.refuse(c)
    const robot = this.robots.get(`${org}+${shortName}`)
    if (robot === undefined) return Wire.message(400, "Could not find robot with specified username")
    robot.token = generateRobotToken()
    return Wire.json(200, this.robotView(robot, true))
  }
}

interface RequestContext {
  readonly request: QuayRequest
  readonly host: string
  readonly caller: Caller | undefined
  readonly query: URLSearchParams
  readonly params: ReadonlyArray<string>
}

const timingSafeEqual = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
