import { createHash, randomBytes, randomUUID } from "node:crypto"

/**
 * The state of ONE Quay server (organizations, users, OAuth tokens, repositories with their grants, robots) and
 * the snapshot of it that tests and `/_sim/state` see. Plain data: the request handlers beside this file change it.
 */

export type Plan = "free" | "paid"
export type Role = "read" | "write" | "admin"
export type OrgRole = "member" | "creator" | "admin"
export type Scope = "repo:read" | "repo:write" | "repo:admin" | "repo:create" | "user:read" | "user:admin" | "org:admin"
export type Access = "push" | "pull"

export const scopes: ReadonlyArray<Scope> = [
  "repo:read",
  "repo:write",
  "repo:admin",
  "repo:create",
  "user:read",
  "user:admin",
  "org:admin"
]

export const isScope = (u: unknown): u is Scope => scopes.some((scope) => scope === u)

/** The scopes of a typical operator token (quay-api §2). */
export const operatorScopes: ReadonlyArray<Scope> = ["org:admin", "repo:admin", "repo:create", "user:read"]

export interface Repository {
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
  /** Repository notifications by uuid, in creation order (Quay lists them in id order). */
  readonly notifications: Map<string, Notification>
  /** E-mail addresses authorized and confirmed to receive this repository's notifications. */
  readonly authorizedEmails: Set<string>
}

/** A repository notification as Quay stores it: config and event config as the JSON the creator sent. */
export interface Notification {
  readonly uuid: string
  readonly title: string | null
  readonly event: string
  readonly method: string
  readonly config: unknown
  readonly eventConfig: unknown
  numberOfFailures: number
}

export interface Robot {
  readonly organization: string
  readonly shortName: string
  token: string
  readonly description: string
  readonly created: number
  readonly metadata: unknown
}

export interface Organization {
  plan: Plan
  /** Team roles of users in the organization. */
  readonly members: Map<string, OrgRole>
}

/** Who an OAuth token acts as, and the scopes that cap that user's roles. */
export interface Caller {
  readonly user: string
  readonly scopes: ReadonlySet<Scope>
}

export interface QuayState {
  /** The organization the server was started for (the default of out-of-band changes). */
  readonly organization: string
  readonly hostname: string
  readonly now: () => number
  readonly organizations: Map<string, Organization>
  readonly users: Set<string>
  readonly tokens: Map<string, Caller>
  readonly repositories: Map<string, Repository>
  readonly robots: Map<string, Robot>
  nextRepositoryId: number
  /** Off: the notification endpoints answer 404, as a Quay or proxy without them would. */
  notificationsAvailable: boolean
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

export interface NotificationSnapshot {
  readonly namespace: string
  readonly repository: string
  readonly uuid: string
  readonly title: string | null
  readonly event: string
  readonly method: string
  readonly config: unknown
}

export interface PermissionSnapshot {
  readonly namespace: string
  readonly repository: string
  readonly username: string
  readonly role: Role
}

/** The whole state, without any token. */
export interface ModelSnapshot {
  readonly organizations: ReadonlyArray<{ readonly name: string; readonly plan: Plan }>
  readonly repositories: ReadonlyArray<RepositorySnapshot>
  readonly robots: ReadonlyArray<RobotSnapshot>
  readonly permissions: ReadonlyArray<PermissionSnapshot>
  readonly notifications: ReadonlyArray<NotificationSnapshot>
}

const roleRank: Record<Role, number> = { read: 1, write: 2, admin: 3 }

export const minRole = (a: Role, b: Role): Role => (roleRank[a] <= roleRank[b] ? a : b)
export const maxRole = (a: Role | undefined, b: Role | undefined): Role | undefined =>
  a === undefined ? b : b === undefined ? a : roleRank[a] >= roleRank[b] ? a : b
export const atLeast = (role: Role | undefined, wanted: Role): boolean =>
  role !== undefined && roleRank[role] >= roleRank[wanted]

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
export const formatRfc2822 = (millis: number): string => new Date(millis).toUTCString().replace(/GMT$/, "-0000")

export const avatar = (name: string, kind: "user" | "robot" | "org"): Record<string, string> => {
  const hash = createHash("md5").update(name).digest("hex")
  return { name, hash, color: `#${hash.slice(0, 6)}`, kind }
}

export const emptyState = (options: {
  readonly organization: string
  readonly hostname: string
  readonly now: () => number
}): QuayState => ({
  ...options,
  organizations: new Map(),
  users: new Set(),
  tokens: new Map(),
  repositories: new Map(),
  robots: new Map(),
  nextRepositoryId: 1,
  notificationsAvailable: true
})

export const addOrganization = (state: QuayState, name: string, plan: Plan = "paid"): void => {
  if (!state.organizations.has(name)) state.organizations.set(name, { plan, members: new Map() })
}

export const insertRepository = (
  state: QuayState,
  input: {
    readonly namespace: string
    readonly name: string
    readonly visibility: "public" | "private"
    readonly description: string | null
    readonly kind: string
    readonly owner: string
  }
): Repository => {
  const repo: Repository = {
    id: state.nextRepositoryId++,
    namespace: input.namespace,
    name: input.name,
    visibility: input.visibility,
    description: input.description,
    kind: input.kind,
    state: "NORMAL",
    statusToken: randomUUID(),
    grants: new Map([[input.owner, "admin"]]),
    notifications: new Map(),
    authorizedEmails: new Set()
  }
  state.repositories.set(`${input.namespace}/${input.name}`, repo)
  return repo
}

/** A deleted robot's grants go with it. */
export const dropRobot = (state: QuayState, fullName: string): void => {
  state.robots.delete(fullName)
  for (const repo of state.repositories.values()) repo.grants.delete(fullName)
}

export const snapshot = (state: QuayState): ModelSnapshot => {
  const repositories = [...state.repositories.values()]
  return {
    organizations: [...state.organizations.entries()].map(([name, org]) => ({ name, plan: org.plan })),
    repositories: repositories.map((r) => ({
      namespace: r.namespace,
      name: r.name,
      visibility: r.visibility,
      description: r.description,
      permissions: Object.fromEntries(r.grants)
    })),
    robots: [...state.robots.values()].map((r) => ({
      name: `${r.organization}+${r.shortName}`,
      organization: r.organization,
      shortName: r.shortName,
      description: r.description,
      created: formatRfc2822(r.created)
    })),
    permissions: repositories.flatMap((r) =>
      [...r.grants].map(([username, role]) => ({ namespace: r.namespace, repository: r.name, username, role }))
    ),
    notifications: repositories.flatMap((r) =>
      [...r.notifications.values()].map((n) => ({
        namespace: r.namespace,
        repository: r.name,
        uuid: n.uuid,
        title: n.title,
        event: n.event,
        method: n.method,
        config: n.config
      }))
    )
  }
}
