import { randomUUID } from "node:crypto"
import { type ActiveFaults, FaultInjector, type FaultKind, faultResponse, type FaultPlan, type FaultShare } from "./QuayFaults.ts"
import { matchRoute } from "./QuayRoutes.ts"
import type { QuayRequest, QuayResponse } from "./QuayWire.ts"
import { grantedActions, type RegistryAction, type RegistryLogin, registryLogin } from "./model/registryAccess.ts"
import { answer } from "./model/dispatch.ts"
import {
  type Access,
  addOrganization,
  dropRobot,
  emptyState,
  generateRobotToken,
  insertRepository,
  type ModelSnapshot,
  operatorScopes,
  type OrgRole,
  type Plan,
  type QuayState,
  type Scope,
  snapshot
} from "./model/state.ts"

/**
 * ONE Quay server (api/v1, as quay/quay's source behaves) as a synchronous state machine. It speaks requests
 * (method + path + headers + body) and answers with Quay's real status codes and bodies, so the HTTP simulator
 * and the in-memory `Quay` layer both drive this one object and cannot disagree. Everything the operator uses is
 * here; tags and teams are not. The state and the endpoints live in `model/`; this class adds the
 * set-up and out-of-band changes tests make, the faults, and the request counts.
 */

export { type RegistryAction, type RegistryLogin, subjectOf } from "./model/registryAccess.ts"
export {
  type Access,
  formatRfc2822,
  generateRobotToken,
  isScope,
  type ModelSnapshot,
  operatorScopes,
  type OrgRole,
  type NotificationSnapshot,
  type PermissionSnapshot,
  type Plan,
  type RepositorySnapshot,
  type Role,
  type RobotSnapshot,
  type Scope
} from "./model/state.ts"

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

export interface RequestCounts {
  readonly total: number
  /** endpoint (`METHOD /api/v1/template`) → status (or `timeout`) → count */
  readonly byEndpoint: Readonly<Record<string, Readonly<Record<string, number>>>>
}

export class QuayModel {
  readonly organization: string
  readonly adminUser: string
  private readonly state: QuayState
  private readonly faults = new FaultInjector()
  private counts = new Map<string, Map<string, number>>()
  private total = 0

  constructor(options: QuayModelOptions) {
    this.organization = options.organization
    this.adminUser = options.adminUser ?? "operator"
    this.state = emptyState({
      organization: options.organization,
      hostname: options.hostname ?? "quay.io",
      now: options.now ?? Date.now
    })
    this.addOrganization(options.organization, options.plan ?? "paid")
    this.addUser(this.adminUser, { organization: options.organization, role: "admin", token: options.token })
  }

  // ---------------------------------------------------------------------------------------------
  // Setup and out-of-band changes (not requests: never counted, never faulted)

  addOrganization(name: string, plan: Plan = "paid"): void {
    addOrganization(this.state, name, plan)
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
    this.state.users.add(name)
    if (options.organization !== undefined && options.role !== undefined) {
      this.addOrganization(options.organization)
      this.state.organizations.get(options.organization)?.members.set(name, options.role)
    }
    if (options.token !== undefined) {
      this.state.tokens.set(options.token, { user: name, scopes: new Set(options.scopes ?? operatorScopes) })
    }
  }

  /** Another OAuth token of the operator's user, with these scopes (e.g. too few, to test refusals). */
  addToken(token: string, scopes: ReadonlyArray<Scope>, user: string = this.adminUser): void {
    this.state.tokens.set(token, { user, scopes: new Set(scopes) })
  }

  /** Revokes an OAuth token: requests that carry it are anonymous from now on. True when there was one. */
  revokeToken(token: string): boolean {
    return this.state.tokens.delete(token)
  }

  setPlan(plan: Plan, organization: string = this.organization): void {
    this.addOrganization(organization)
    const org = this.state.organizations.get(organization)
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
    if (this.state.repositories.has(`${namespace}/${input.name}`)) return
    const owner = input.owner ?? "someone-else"
    this.state.users.add(owner)
    insertRepository(this.state, {
      namespace,
      name: input.name,
      visibility: input.visibility ?? "private",
      description: input.description ?? "",
      kind: "image",
      owner
    })
  }

  /** Deletes a repository behind the operator's back. True when there was one. */
  removeRepository(name: string, namespace: string = this.organization): boolean {
    return this.state.repositories.delete(`${namespace}/${name}`)
  }

  /** Deletes a robot (and its grants) behind the operator's back. True when there was one. */
  removeRobot(shortName: string, organization: string = this.organization): boolean {
    const full = `${organization}+${shortName}`
    if (!this.state.robots.has(full)) return false
    dropRobot(this.state, full)
    return true
  }

  /** Flips a repository's visibility behind the operator's back. True when there was one. */
  changeVisibilityOutOfBand(name: string, visibility: "public" | "private", namespace: string = this.organization): boolean {
    const repo = this.state.repositories.get(`${namespace}/${name}`)
    if (repo === undefined) return false
    repo.visibility = visibility
    return true
  }

  /** Removes a grant behind the operator's back. True when there was one. */
  revokePermission(name: string, username: string, namespace: string = this.organization): boolean {
    return this.state.repositories.get(`${namespace}/${name}`)?.grants.delete(username) === true
  }

  /** Replaces a robot's token behind the operator's back (someone pressed "regenerate" in the UI). */
  rotateRobotToken(shortName: string, organization: string = this.organization): boolean {
    const robot = this.state.robots.get(`${organization}+${shortName}`)
    if (robot === undefined) return false
    robot.token = generateRobotToken()
    return true
  }

  /** Adds a notification behind the operator's back (as someone in Quay's UI would); its uuid, if the repository exists. */
  putNotification(
    name: string,
    input: { readonly title?: string; readonly event: string; readonly method: string; readonly config: unknown },
    namespace: string = this.organization
  ): string | undefined {
    const repo = this.state.repositories.get(`${namespace}/${name}`)
    if (repo === undefined) return undefined
    const uuid = randomUUID()
    repo.notifications.set(uuid, {
      uuid,
      title: input.title ?? null,
      event: input.event,
      method: input.method,
      config: input.config,
      eventConfig: {},
      numberOfFailures: 0
    })
    return uuid
  }

  /** Deletes a notification behind the operator's back. True when there was one. */
  removeNotification(name: string, uuid: string, namespace: string = this.organization): boolean {
    return this.state.repositories.get(`${namespace}/${name}`)?.notifications.delete(uuid) === true
  }

  /** An e-mail address authorized and confirmed for a repository's notifications (Quay's e-mail confirmation). */
  authorizeEmail(name: string, email: string, namespace: string = this.organization): boolean {
    const repo = this.state.repositories.get(`${namespace}/${name}`)
    repo?.authorizedEmails.add(email)
    return repo !== undefined
  }

  /** Off: every notification endpoint answers 404, as a Quay or proxy without them does. */
  setNotificationsAvailable(available: boolean): void {
    this.state.notificationsAvailable = available
  }

  /** The robot's current token, for tests that check what a Secret holds. */
  robotToken(shortName: string, organization: string = this.organization): string | undefined {
    return this.state.robots.get(`${organization}+${shortName}`)?.token
  }

  injectFaults(plan: FaultPlan): void {
    this.faults.set(plan)
  }

  /** Several fault kinds at once, each failing its share of requests. */
  injectFaultMix(mix: ReadonlyArray<FaultShare>, random?: () => number): void {
    this.faults.setMix(mix, random)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  get activeFaults(): ActiveFaults {
    return this.faults.active
  }

  /** Requests failed on purpose so far, by kind. */
  get faultsInjected(): Readonly<Partial<Record<FaultKind, number>>> {
    return this.faults.injectedCounts
  }

  // ---------------------------------------------------------------------------------------------
  // Registry authentication

  /** Who registry credentials (`docker login -u <user> -p <token>`; both empty for none) log in as. */
  registryLogin(username: string, token: string): RegistryLogin {
    return registryLogin(this.state, username, token)
  }

  /** The actions a registry login is granted on `<ns>/<name>` (see `model/registryAccess.ts`). */
  grantedActions(login: RegistryLogin, repository: string, requested: ReadonlyArray<RegistryAction>): ReadonlyArray<RegistryAction> {
    return grantedActions(this.state, login, repository, requested)
  }

  /** Whether registry credentials may push or pull `<ns>/<name>`: the same grant as `/v2/auth`'s. */
  authorize(username: string, token: string, repository: string, access: Access): boolean {
    return grantedActions(this.state, registryLogin(this.state, username, token), repository, [access]).includes(access)
  }

  // ---------------------------------------------------------------------------------------------
  // Observation

  snapshot(): ModelSnapshot {
    return snapshot(this.state)
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
    const response = fault !== undefined ? faultResponse(fault) : answer(this.state, match, request)
    this.count(match.endpoint, response._tag === "Answer" ? String(response.status) : response.drop === true ? "dropped" : "timeout")
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
}
