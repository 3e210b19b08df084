import { randomUUID } from "node:crypto"
import { type RouteName, splitRepository } from "../QuayRoutes.ts"
import { notificationCreateSchema } from "../QuayValidation.ts"
import * as Wire from "../QuayWire.ts"
import type { QuayAnswer } from "../QuayWire.ts"
import { refuse, repoRole } from "./authorization.ts"
import { field, type RequestContext, requiredBody } from "./request.ts"
import { atLeast, type Notification, type QuayState, type Repository } from "./state.ts"

/**
 * Repository notification endpoints (Quay's `endpoints/api/repositorynotification.py`, its data model
 * `data/model/notification.py` and the method checks of `notifications/notificationmethod.py`). Every one needs
 * repository admin, checked before anything else.
 */

/** The routes a Quay without notification endpoints answers with its web UI's 404 page. */
export const routes: ReadonlySet<RouteName> = new Set<RouteName>([
  "listNotifications",
  "listNotificationsRedirect",
  "createNotification",
  "getNotification",
  "deleteNotification",
  "resetNotification",
  "testNotification"
])

/** The events Quay's database knows (`ExternalNotificationEvent`); any other is an unhandled lookup error, a 500. */
export const notificationEvents: ReadonlyArray<string> = [
  "repo_push",
  "build_queued",
  "build_start",
  "build_success",
  "build_failure",
  "build_cancelled",
  "vulnerability_found",
  "repo_mirror_sync_started",
  "repo_mirror_sync_success",
  "repo_mirror_sync_failed",
  "repo_image_expiry",
  "quota_warning",
  "quota_error"
]

/** `HOSTNAME_BLACKLIST` without `WEBHOOK_HOSTNAME_BLACKLIST` additions. */
const hostnameBlacklist: ReadonlyArray<string> = ["localhost", "127.0.0.1"]

const truthy = (value: unknown): boolean =>
  !(value === undefined || value === null || value === false || value === 0 || value === "" ||
    (Array.isArray(value) && value.length === 0) || (typeof value === "object" && Object.keys(value).length === 0))

/** Python's `urlparse(url)`: the lower-cased scheme and `.hostname` (lower-cased, no user or port; none if empty). */
const urlparse = (url: string): { readonly scheme: string; readonly hostname: string | undefined } => {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)
  const rest = scheme === null ? url : url.slice(scheme[0].length)
  const netloc = rest.startsWith("//") ? (/^\/\/([^/?#]*)/.exec(rest)?.[1] ?? "") : ""
  const host = netloc.slice(netloc.lastIndexOf("@") + 1)
  const hostname = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.split(":")[0] ?? ""
  return { scheme: (scheme?.[1] ?? "").toLowerCase(), hostname: hostname === "" ? undefined : hostname.toLowerCase() }
}

type Validation = { readonly _tag: "Valid" } | { readonly _tag: "Refused"; readonly message: string } | { readonly _tag: "Crash" }

const valid: Validation = { _tag: "Valid" }
const refused = (message: string): Validation => ({ _tag: "Refused", message })
/** An exception Quay does not handle: its app answers 500. */
const crash: Validation = { _tag: "Crash" }

/** Each method's `validate`; `undefined` for a method Quay does not know (`get_method` raises: a 500). */
const validators: Readonly<Record<string, (repo: Repository | undefined, config: unknown) => Validation>> = {
  webhook: (_repo, config) => {
    const url = field(config, "url")
    if (!truthy(url)) return refused("Missing webhook URL")
    if (typeof url !== "string") return crash
    const parsed = urlparse(url)
    if (parsed.scheme !== "https" && parsed.scheme !== "http") return refused("Invalid webhook URL")
    // `parsed.hostname.lower()` on a URL without a host raises AttributeError.
    if (parsed.hostname === undefined) return crash
    if (hostnameBlacklist.includes(parsed.hostname)) return refused("Invalid webhook URL")
    return valid
  },
  email: (repo, config) => {
    const email = field(config, "email")
    if (!truthy(email)) return refused("Missing e-mail address")
    return typeof email === "string" && repo?.authorizedEmails.has(email) === true
      ? valid
      : refused("The specified e-mail address is not authorized to receive notifications for this repository")
  },
  quay_notification: (_repo, config) =>
    truthy(field(field(config, "target"), "kind")) ? valid : refused("Missing target"),
  slack: (_repo, config) => (truthy(field(config, "url")) ? valid : refused("Missing Slack Callback URL")),
  flowdock: (_repo, config) => (truthy(field(config, "flow_api_token")) ? valid : refused("Missing Flowdock API Token")),
  hipchat: (_repo, config) =>
    !truthy(field(config, "notification_token"))
      ? refused("Missing Hipchat Room Notification Token")
      : truthy(field(config, "room_id"))
      ? valid
      : refused("Missing Hipchat Room ID")
}

const view = (n: Notification): Record<string, unknown> => ({
  uuid: n.uuid,
  title: n.title,
  event: n.event,
  method: n.method,
  config: n.config,
  event_config: n.eventConfig,
  number_of_failures: n.numberOfFailures
})

/** Looked up by uuid alone, in any repository (`get_repo_notification`). */
const byUuid = (state: QuayState, uuid: string): Notification | undefined => {
  for (const repo of state.repositories.values()) {
    const found = repo.notifications.get(uuid)
    if (found !== undefined) return found
  }
  return undefined
}

/** The repository the path names and the uuid, once the caller is shown to administer it. */
const admin = (state: QuayState, c: RequestContext) => {
  const { namespace, name } = splitRepository(c.params[0] ?? "")
  const allowed = atLeast(repoRole(state, c.caller, namespace, name), "admin")
  return { namespace, name, uuid: c.params[1] ?? "", allowed, repo: state.repositories.get(`${namespace}/${name}`) }
}

const noneFound = (c: RequestContext, namespace: string, name: string, uuid: string): QuayAnswer =>
  Wire.invalidRequest(c.host, `No repository notification found for: ${namespace}, ${name}, ${uuid}`)

/** A missing repository has no notifications: 200 with an empty list. */
export const listNotifications = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { allowed, repo } = admin(state, c)
  if (!allowed) return refuse(c)
  return Wire.json(200, { notifications: [...(repo?.notifications.values() ?? [])].map(view) })
}

/**
 * The method validates the config first (400 with its text), then the event is looked up (unknown: 500), then the
 * row is inserted: on a missing repository that is a NOT NULL violation, a 500. Titles are not unique.
 */
export const createNotification = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { allowed, repo } = admin(state, c)
  if (!allowed) return refuse(c)
  const body = requiredBody(c.request, c.host, notificationCreateSchema)
  if (body._tag === "Rejected") return body.answer
  const method = String(field(body.value, "method"))
  const event = String(field(body.value, "event"))
  const validate = validators[method]
  if (validate === undefined) return Wire.internalServerError
  const validation = validate(repo, field(body.value, "config"))
  if (validation._tag === "Crash") return Wire.internalServerError
  if (validation._tag === "Refused") return Wire.invalidRequest(c.host, validation.message)
  if (!notificationEvents.includes(event) || repo === undefined) return Wire.internalServerError
  const title = field(body.value, "title")
  const created: Notification = {
    uuid: randomUUID(),
    title: typeof title === "string" ? title : null,
    event,
    method,
    config: field(body.value, "config"),
    eventConfig: field(body.value, "eventConfig"),
    numberOfFailures: 0
  }
  repo.notifications.set(created.uuid, created)
  return Wire.json(201, view(created))
}

/** By uuid alone: the repository in the path only decides who may ask. */
export const getNotification = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { allowed, uuid } = admin(state, c)
  if (!allowed) return refuse(c)
  const found = byUuid(state, uuid)
  return found === undefined ? Wire.notFound(c.host) : Wire.json(200, view(found))
}

/** Only a notification of the repository in the path; any other uuid is 400, never 404. */
export const deleteNotification = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { allowed, namespace, name, uuid, repo } = admin(state, c)
  if (!allowed) return refuse(c)
  if (repo === undefined || !repo.notifications.delete(uuid)) return noneFound(c, namespace, name, uuid)
  return Wire.noContent
}

/**
 * Resets the failure count. An unknown uuid is the endpoint's 400; a uuid of another repository is the data
 * model's exception, which reaches the client in its `{message}` shape.
 */
export const resetNotification = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { allowed, namespace, name, uuid, repo } = admin(state, c)
  if (!allowed) return refuse(c)
  const found = byUuid(state, uuid)
  if (found === undefined) return noneFound(c, namespace, name, uuid)
  if (repo?.notifications.get(uuid) !== found) {
    return Wire.message(400, `No repository notification found with uuid: ${uuid}`)
  }
  found.numberOfFailures = 0
  return Wire.noContent
}

/** Queues a test delivery (nothing is delivered here). By uuid alone, like the get. */
export const testNotification = (state: QuayState, c: RequestContext): QuayAnswer => {
  const { allowed, namespace, name, uuid } = admin(state, c)
  if (!allowed) return refuse(c)
  return byUuid(state, uuid) === undefined ? noneFound(c, namespace, name, uuid) : Wire.json(200, {})
}
