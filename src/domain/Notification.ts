import { createHash } from "node:crypto"
import type { NotificationSpec } from "./ImageRepository.ts"

/**
 * spec.notifications as Quay receives them: which entries are valid, what each sends, and its fingerprint (what
 * status records, so an unchanged entry is known to be in place without asking Quay). Pure.
 */

export const events = ["repo_push"] as const
export const methods = ["email", "webhook"] as const

/** A valid entry: what is sent to Quay for it. */
export interface Desired {
  readonly title: string
  readonly event: string
  readonly method: string
  /** Only the key the method reads: `{url}` for a webhook, `{email}` for e-mail. */
  readonly config: Readonly<Record<string, string>>
  readonly fingerprint: string
}

/** An entry nothing is sent for, and why, in words for status.message. */
export interface Invalid {
  readonly title: string | undefined
  readonly reason: string
}

export interface Plan {
  readonly desired: ReadonlyArray<Desired>
  readonly invalid: ReadonlyArray<Invalid>
}

export const fingerprintOf = (event: string, method: string, config: Readonly<Record<string, string>>): string =>
  createHash("sha256").update(JSON.stringify([event, method, Object.entries(config).sort()])).digest("hex").slice(0, 32)

/**
 * Quay's webhook check (`http`/`https` with a host, as Python's urlparse reads it): a URL without a host would
 * crash Quay's check (a 500, retried as an outage), so it is refused here. The host blacklist is Quay's to apply.
 */
const isWebhookUrl = (url: string): boolean => /^https?:\/\/(?:[^/?#@]*@)?(?:\[[^\]]+\]|[^/?#:@[\]]+)/i.test(url)

const configOf = (entry: NotificationSpec): { readonly config: Record<string, string> } | { readonly reason: string } => {
  if (entry.method === "webhook") {
    const url = entry.config?.url ?? ""
    if (url === "") return { reason: "a webhook needs config.url" }
    if (!isWebhookUrl(url)) return { reason: "config.url must be an http or https URL with a host" }
    return { config: { url } }
  }
  const email = entry.config?.email ?? ""
  return email === "" ? { reason: "an e-mail notification needs config.email" } : { config: { email } }
}

const check = (entry: NotificationSpec): Desired | Invalid => {
  const title = entry.title ?? ""
  if (title === "") return { title: undefined, reason: "every notification needs a title" }
  const event = entry.event ?? ""
  if (!(events as ReadonlyArray<string>).includes(event)) {
    return { title, reason: `unknown event '${event}' (supported: ${events.join(", ")})` }
  }
  const method = entry.method ?? ""
  if (!(methods as ReadonlyArray<string>).includes(method)) {
    return { title, reason: `unknown method '${method}' (supported: ${methods.join(", ")})` }
  }
  const config = configOf(entry)
  if ("reason" in config) return { title, reason: config.reason }
  return { title, event, method, config: config.config, fingerprint: fingerprintOf(event, method, config.config) }
}

/** Splits spec.notifications into what is sent and what is refused; a title given twice is refused after its first. */
export const plan = (spec: ReadonlyArray<NotificationSpec> | undefined): Plan => {
  const desired: Array<Desired> = []
  const invalid: Array<Invalid> = []
  const seen = new Set<string>()
  for (const entry of spec ?? []) {
    const checked = check(entry)
    if (checked.title !== undefined && seen.has(checked.title)) {
      invalid.push({ title: checked.title, reason: "the title is used by an earlier notification" })
      continue
    }
    if (checked.title !== undefined) seen.add(checked.title)
    if ("reason" in checked) invalid.push(checked)
    else desired.push(checked)
  }
  return { desired, invalid }
}

/** Whether a notification found in Quay is what this entry sends (the key the method reads, event and method). */
export const matches = (
  desired: Desired,
  found: { readonly event: string; readonly method: string; readonly config: Readonly<Record<string, unknown>> }
): boolean =>
  found.event === desired.event && found.method === desired.method &&
  Object.entries(desired.config).every(([key, value]) => found.config[key] === value)

export const describeInvalid = (invalid: Invalid): string =>
  `notification ${invalid.title === undefined ? "without a title" : `'${invalid.title}'`} was not applied: ${invalid.reason}`
