import { createHash } from "node:crypto"

export type RobotRole = "push" | "pull"

/** Quay's robot short-name grammar (validate_username) and length bounds. */
export const robotShortNamePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/
const maxFullNameLength = 255

const sanitize = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")

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
  const hash = createHash("sha256").update(`${identity.uid}/${role}`).digest("hex").slice(0, 10)
  const suffix = role === "pull" ? `_${hash}_pull` : `_${hash}`
  const budget = Math.min(255, maxFullNameLength - organization.length - 1) - suffix.length
  const prefix = sanitize(`${identity.namespace}_${identity.name}`).slice(0, Math.max(budget, 1)).replace(/_+$/, "")
  return `${prefix === "" ? "r" : prefix}${suffix}`
}

/** Quay's full robot name, the docker login user name. */
export const robotFullName = (organization: string, shortName: string): string => `${organization}+${shortName}`
