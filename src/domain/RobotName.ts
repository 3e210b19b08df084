import { createHash } from "node:crypto"

export type RobotRole = "push" | "pull"
export const robotRoles: ReadonlyArray<RobotRole> = ["push", "pull"]

/** Quay's robot short-name grammar (validate_username) and length bounds. */
export const robotShortNamePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/
const maxFullNameLength = 255

const sanitize = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")

/** Suffixes derived so far, by `<uid>/<role>`; bounded, since uids come and go. */
const suffixes = new Map<string, string>()
const maxRememberedSuffixes = 25_000

/** The end of a robot's name that binds it to one object and role: `_<10 hex of the uid and role>`, `_pull` after it for pull. */
const roleSuffix = (uid: string, role: RobotRole): string => {
  const key = `${uid}/${role}`
  const known = suffixes.get(key)
  if (known !== undefined) return known
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 10)
  const suffix = role === "pull" ? `_${hash}_pull` : `_${hash}`
  // Every pass of every object derives its names again: a hash per pass cost more than the rest of a no-op pass.
  if (suffixes.size >= maxRememberedSuffixes) suffixes.clear()
  suffixes.set(key, suffix)
  return suffix
}

/**
 * Whether `shortName` is one this operator derives from `uid`, for some role: the name carries the hash of that
 * uid, so a mark that names one object on a robot named for another is told apart without a call.
 */
export const derivesFrom = (shortName: string, uid: string): boolean =>
  robotRoles.some((role) => shortName.endsWith(roleSuffix(uid, role)))

/**
 * The robot short name for an ImageRepository, derived only from its identity (namespace, name, uid) and role.
 * Determinism is the point: a crash between creating the robot and recording it in status re-derives the
 * same name on the next reconcile, so no second robot is ever left behind.
 * Shape follows the original controller: `<ns>_<name>_<10 hex>` and `..._pull` for pull robots.
 */
export const robotShortName = (
  identity: { readonly namespace: string; readonly name: string; readonly uid: string },
  role: RobotRole,
  organization: string
): string => {
  const suffix = roleSuffix(identity.uid, role)
  const budget = Math.min(255, maxFullNameLength - organization.length - 1) - suffix.length
  const prefix = sanitize(`${identity.namespace}_${identity.name}`).slice(0, Math.max(budget, 1)).replace(/_+$/, "")
  return `${prefix === "" ? "r" : prefix}${suffix}`
}

/** Quay's full robot name, the docker login user name. */
export const robotFullName = (organization: string, shortName: string): string => `${organization}+${shortName}`

/**
 * Whether `shortName` is a name the original controller gave a robot of this role for this repository: the
 * repository path cut to 220 characters with `/`, `.` and `-` made `_`, then `_` and 10 random hex digits, then
 * `_pull` for a pull robot; runs of `_` collapsed since late 2024, not before. The path starts with the object's
 * namespace, so a name of this shape belongs to this namespace's objects, though not provably: two paths can
 * sanitize alike (`a/b-c`, `a-b/c`), which is why such a robot is also confirmed in Quay before it is used.
 */
export const isOriginalRobotName = (shortName: string, repository: string, role: RobotRole): boolean => {
  const match = new RegExp(`^(.+)_[0-9a-f]{10}${role === "pull" ? "_pull" : ""}$`).exec(shortName)
  if (match === null) return false
  const body = match[1]
  const raw = repository.slice(0, 220).replace(/[/.-]/g, "_")
  const collapsed = raw.replace(/_+/g, "_")
  return body === raw || body === collapsed || body === collapsed.replace(/_$/, "")
}
