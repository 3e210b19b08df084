import type { ImageRepository, ImageRepositoryStatus } from "./ImageRepository.ts"
import { repositoryFromUrl } from "./RepositoryName.ts"
import { isOriginalRobotName, type RobotRole, robotRoles, robotShortName } from "./RobotName.ts"
import { secretName } from "./SecretName.ts"

/**
 * Status is not an identity: anyone allowed to patch `imagerepositories/status` can write any name there. What
 * status names is used only when the object's own identity (namespace, name, uid) accounts for it; anything else
 * is damage, reported and never acted on. Pure: these checks cost no call. What only Quay can confirm (marks,
 * grants) is checked by the programs, and only where a Quay object is touched.
 */

/** Where the operator's repositories live: status URLs are read against it. */
export interface Registry {
  readonly organization: string
  readonly registryHost: string
}

/** A status field that names something this object's identity does not account for. */
export interface StatusDamage {
  /** The field's path under status, e.g. `credentials.push-robot-account`. */
  readonly field: string
  readonly message: string
}

/**
 * Why a robot named in status is taken as this object's:
 * - `identity`: its name is the one the object's namespace, name and uid derive (every robot this operator makes);
 * - `original`: it has the original controller's name for this object's recorded repository. The name alone is no
 *   proof (sanitized paths collide across namespaces), so such a robot is confirmed in Quay before it is touched.
 */
export type RobotProof = "identity" | "original"

export interface RobotClaim {
  readonly role: RobotRole
  readonly shortName: string
  readonly proof: RobotProof
}

export interface StatusClaims {
  /** The repository status records, when its URL lies under this organization and namespace. */
  readonly repository: string | undefined
  /** Per role: the robot status names when it passes, else the one the identity derives. */
  readonly robots: Readonly<Record<RobotRole, RobotClaim>>
  /** Per role: always the name the object's name derives. */
  readonly secrets: Readonly<Record<RobotRole, string>>
  readonly damages: ReadonlyArray<StatusDamage>
}

export const robotField = (role: RobotRole) => `${role}-robot-account` as const
export const secretField = (role: RobotRole) => `${role}-secret` as const

/** The robot of a role whose name this object's identity derives. */
export const derivedRobot = (ir: ImageRepository, role: RobotRole, organization: string): string =>
  robotShortName(
    { namespace: ir.metadata.namespace ?? "", name: ir.metadata.name, uid: ir.metadata.uid ?? "" },
    role,
    organization
  )

const robotClaim = (
  ir: ImageRepository,
  role: RobotRole,
  organization: string,
  repository: string | undefined
): { readonly claim: RobotClaim; readonly damage?: StatusDamage } => {
  const derived = derivedRobot(ir, role, organization)
  const named = ir.status?.credentials?.[robotField(role)]
  if (named === undefined || named === derived) return { claim: { role, shortName: derived, proof: "identity" } }
  if (repository !== undefined && isOriginalRobotName(named, repository, role)) {
    return { claim: { role, shortName: named, proof: "original" } }
  }
  return {
    claim: { role, shortName: derived, proof: "identity" },
    damage: {
      field: `credentials.${robotField(role)}`,
      message: `status.credentials.${robotField(role)} named robot '${named}', which is not this ImageRepository's; it was not used`
    }
  }
}

const secretDamage = (ir: ImageRepository, role: RobotRole): ReadonlyArray<StatusDamage> => {
  const named = ir.status?.credentials?.[secretField(role)]
  return named === undefined || named === secretName(ir, role)
    ? []
    : [{
      field: `credentials.${secretField(role)}`,
      message: `status.credentials.${secretField(role)} named Secret '${named}', which is not this ImageRepository's (${secretName(ir, role)}); it was not used`
    }]
}

/** Everything status names, checked against the object's identity. */
export const inspect = (ir: ImageRepository, registry: Registry): StatusClaims => {
  const namespace = ir.metadata.namespace ?? ""
  const url = ir.status?.image?.url
  const repository = repositoryFromUrl(url, registry.registryHost, registry.organization, namespace)
  const urlDamage: ReadonlyArray<StatusDamage> = url === undefined || repository !== undefined
    ? []
    : [{
      field: "image.url",
      message: `status.image.url '${url}' is not a repository under ${registry.registryHost}/${registry.organization}/${namespace}/; it was not used`
    }]
  const push = robotClaim(ir, "push", registry.organization, repository)
  const pull = robotClaim(ir, "pull", registry.organization, repository)
  return {
    repository,
    robots: { push: push.claim, pull: pull.claim },
    secrets: { push: secretName(ir, "push"), pull: secretName(ir, "pull") },
    damages: [
      ...urlDamage,
      ...[push, pull].flatMap((r) => (r.damage === undefined ? [] : [r.damage])),
      ...robotRoles.flatMap((role) => secretDamage(ir, role))
    ]
  }
}

/** The names of a role the operator provisions, to write back over damaged fields. */
export interface RoleNames {
  readonly robot: string
  readonly secret: string
}

/**
 * The status with its damaged fields put back: a role the operator provisions gets its own names again, any other
 * role's field is dropped, and a damaged image URL is dropped (provisioning records the spec's repository again).
 */
export const putBack = (
  status: ImageRepositoryStatus | undefined,
  damages: ReadonlyArray<StatusDamage>,
  provisioned: Partial<Readonly<Record<RobotRole, RoleNames>>>
): ImageRepositoryStatus => {
  const damaged = new Set(damages.map((d) => d.field))
  const { image, credentials, ...rest } = status ?? {}
  const fixed: Record<string, string | undefined> = { ...credentials }
  for (const role of robotRoles) {
    const names = provisioned[role]
    if (damaged.has(`credentials.${robotField(role)}`)) fixed[robotField(role)] = names?.robot
    if (damaged.has(`credentials.${secretField(role)}`)) fixed[secretField(role)] = names?.secret
  }
  const kept = Object.fromEntries(Object.entries(fixed).filter(([, value]) => value !== undefined))
  return {
    ...rest,
    ...(image === undefined || damaged.has("image.url") ? {} : { image }),
    ...(credentials === undefined && Object.keys(kept).length === 0 ? {} : { credentials: kept })
  }
}
