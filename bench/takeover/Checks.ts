/**
 * What the takeover run checks on objects and in Quay: fields lost between two versions of an object, whether a
 * Secret's credentials still authenticate, and what of Quay's state as the original left it is still there.
 */
import type { ModelSnapshot, QuayModel } from "../../src/simulator/QuayModel.ts"

export type Json = { readonly [key: string]: unknown }

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/** The value at a path of keys inside parsed JSON (undefined where it stops). */
export const at = (value: unknown, ...path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value)

export const text = (value: unknown, ...path: ReadonlyArray<string>): string => {
  const found = at(value, ...path)
  return typeof found === "string" ? found : ""
}

/**
 * Every leaf of `before` that `after` no longer has, or has with another value, as `path: before → after`: what a
 * takeover must not lose. Fields only `after` has (this operator's conditions) are not losses.
 */
export const lostFields = (before: unknown, after: unknown, path: ReadonlyArray<string> = []): ReadonlyArray<string> => {
  if (isObject(before)) {
    return Object.entries(before).flatMap(([key, value]) => lostFields(value, isObject(after) ? after[key] : undefined, [...path, key]))
  }
  // Array items by position (a list's order is part of it): an item that gained a field has lost nothing.
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item: unknown, i) => lostFields(item, after[i], [...path, `[${i}]`]))
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [`${path.join(".").replaceAll(".[", "[")}: ${JSON.stringify(before)} → ${after === undefined ? "(gone)" : JSON.stringify(after)}`]
}

/** Fields `after` has that `before` had not, as paths: what this operator added (not a loss, but worth seeing). */
export const addedFields = (before: unknown, after: unknown, path: ReadonlyArray<string> = []): ReadonlyArray<string> => {
  if (isObject(after)) {
    return Object.entries(after).flatMap(([key, value]) =>
      isObject(before) && key in before ? addedFields(before[key], value, [...path, key]) : [[...path, key].join(".").replaceAll(".[", "[")])
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return after.flatMap((item: unknown, i) => addedFields(before[i], item, [...path, `[${i}]`]))
  }
  return []
}

/** The first registry login of a dockerconfigjson Secret (never printed: only whether it authenticates). */
export const loginOf = (secret: unknown): { readonly username: string; readonly token: string } | undefined => {
  const encoded = text(secret, "data", ".dockerconfigjson")
  if (encoded === "") return undefined
  const document: unknown = JSON.parse(Buffer.from(encoded, "base64").toString())
  const auths = at(document, "auths")
  const first = isObject(auths) ? Object.values(auths)[0] : undefined
  const auth = Buffer.from(text(first, "auth"), "base64").toString()
  const colon = auth.indexOf(":")
  return colon < 0 ? undefined : { username: auth.slice(0, colon), token: auth.slice(colon + 1) }
}

/** Whether the Secret's login may `access` `<org>/<repository>` by the simulator's `/v2/auth` grant logic. */
export const authenticates = (
  model: QuayModel,
  secret: unknown,
  repository: string,
  access: "push" | "pull"
): boolean => {
  const login = loginOf(secret)
  return login !== undefined && model.authorize(login.username, login.token, `${model.organization}/${repository}`, access)
}

export interface Leftovers {
  readonly robots: ReadonlyArray<string>
  readonly repositories: ReadonlyArray<string>
  readonly permissions: ReadonlyArray<string>
}

/** What of `provisioned` (Quay as the original left it) is still in `now`. */
export const leftovers = (provisioned: ModelSnapshot, now: ModelSnapshot): Leftovers => {
  const robotsNow = new Set(now.robots.map((r) => r.name))
  const repositoriesNow = new Set(now.repositories.map((r) => `${r.namespace}/${r.name}`))
  const permissionsNow = new Set(now.permissions.map((p) => `${p.namespace}/${p.repository} ${p.username} ${p.role}`))
  return {
    robots: provisioned.robots.map((r) => r.name).filter((name) => robotsNow.has(name)),
    repositories: provisioned.repositories.map((r) => `${r.namespace}/${r.name}`).filter((name) => repositoriesNow.has(name)),
    permissions: provisioned.permissions.map((p) => `${p.namespace}/${p.repository} ${p.username} ${p.role}`)
      .filter((grant) => permissionsNow.has(grant))
  }
}

/** `count` requests by endpoint, most first, for the report. */
export const byEndpoint = (whats: ReadonlyArray<string>): ReadonlyArray<string> => {
  const counts = new Map<string, number>()
  for (const what of whats) counts.set(what, (counts.get(what) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1]).map(([what, count]) => `${count} × ${what}`)
}
