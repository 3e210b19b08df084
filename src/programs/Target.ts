import { Either, Option } from "effect"
import { type Component, componentOf, defaultImageName } from "../domain/ComponentRepository.ts"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { imageUrl, type InvalidRepositoryName, resolveRepositoryName } from "../domain/RepositoryName.ts"
import { robotFullName, type RobotRole, robotRoles } from "../domain/RobotName.ts"
import * as StatusClaims from "../domain/StatusClaims.ts"
import type { Quay } from "../services/Quay.ts"

/**
 * One role's robot and Secret of an ImageRepository: the names status records when the object's identity accounts
 * for them (StatusClaims), else the ones it derives; never a name status merely asserts.
 */
export interface Credentials {
  readonly role: RobotRole
  readonly robot: StatusClaims.RobotClaim
  readonly robotShortName: string
  readonly robotFullName: string
  readonly secretName: string
}

/** Everything an ImageRepository maps to in Quay and in its namespace; its own fields are the push role's. */
export interface Target extends Credentials {
  readonly repository: string
  readonly imageUrl: string
  /** The Component of a component repository, as decided at provisioning; undefined for a general-purpose one. */
  readonly component: Component | undefined
  /** The pull robot and Secret, which only a component repository has. */
  readonly pull: Credentials | undefined
}

type Registry = Pick<Quay, "organization" | "registryHost">

/** Claims already worked out, per object read (objects are immutable): a pass asks several times. */
const inspected = new WeakMap<ImageRepository, { readonly registry: Registry; readonly claims: StatusClaims.StatusClaims }>()

/** What status names, checked against the object's identity (no call). */
export const inspect = (ir: ImageRepository, registry: Registry): StatusClaims.StatusClaims => {
  const known = inspected.get(ir)
  if (known !== undefined && known.registry === registry) return known.claims
  const claims = StatusClaims.inspect(ir, registry)
  inspected.set(ir, { registry, claims })
  return claims
}

const credentialsOf = (claims: StatusClaims.StatusClaims, registry: Registry, role: RobotRole): Credentials => ({
  role,
  robot: claims.robots[role],
  robotShortName: claims.robots[role].shortName,
  robotFullName: robotFullName(registry.organization, claims.robots[role].shortName),
  secretName: claims.secrets[role]
})

/** One role's credentials (the push role's by default). */
export const credentials = (ir: ImageRepository, registry: Registry, role: RobotRole = "push"): Credentials =>
  credentialsOf(inspect(ir, registry), registry, role)

/**
 * Every robot this object may own, as deletion must know them: the push robot, and the pull robot of any role
 * whose field status fills (the original controller gave every object one) or that a component repository has.
 * Each by the name status records when the identity accounts for it, else the one it derives.
 */
export const robots = (ir: ImageRepository, registry: Registry): ReadonlyArray<StatusClaims.RobotClaim> => {
  const claims = inspect(ir, registry)
  return robotRoles
    .filter((role) =>
      role === "push" || componentOf(ir) !== undefined ||
      ir.status?.credentials?.[StatusClaims.robotField(role)] !== undefined
    )
    .map((role) => claims.robots[role])
}

const targetFor = (ir: ImageRepository, registry: Registry, repository: string): Target => {
  const claims = inspect(ir, registry)
  const component = componentOf(ir)
  return {
    ...credentialsOf(claims, registry, "push"),
    repository,
    imageUrl: imageUrl(registry.registryHost, registry.organization, repository),
    component,
    pull: component === undefined ? undefined : credentialsOf(claims, registry, "pull")
  }
}

/** Every role the target provisions, push first: push for every object, pull too for a component repository. */
export const roles = (target: Target): ReadonlyArray<Credentials> =>
  target.pull === undefined ? [target] : [target, target.pull]

/**
 * The target recorded in status: written before the first Quay call, so a spec edit while provisioning can
 * neither redirect Quay calls nor leave a first repository behind. Status wins over spec, but only a URL under
 * this object's namespace counts; whether the repository is this object's is confirmed in Quay where it is touched.
 */
export const recorded = (ir: ImageRepository, registry: Registry): Option.Option<Target> =>
  Option.fromNullable(inspect(ir, registry).repository).pipe(Option.map((repository) => targetFor(ir, registry, repository)))

/**
 * The target the spec asks for (`<namespace>/<application>/<component>` for a component repository without a
 * name); an invalid name is refused here, before anything exists in Quay.
 */
export const requested = (ir: ImageRepository, registry: Registry): Either.Either<Target, InvalidRepositoryName> =>
  Either.map(
    resolveRepositoryName(ir.metadata.namespace ?? "", defaultImageName(ir, componentOf(ir)), ir.spec?.image?.name),
    (repository) => targetFor(ir, registry, repository)
  )

/** The recorded target if there is one, else the one the spec asks for. */
export const chosen = (ir: ImageRepository, registry: Registry): Either.Either<Target, InvalidRepositoryName> =>
  Option.match(recorded(ir, registry), { onNone: () => requested(ir, registry), onSome: Either.right })

const derived = (credentials: Credentials, ir: ImageRepository, registry: Registry): Credentials => {
  if (credentials.robot.proof === "identity") return credentials
  const shortName = StatusClaims.derivedRobot(ir, credentials.role, registry.organization)
  return {
    ...credentials,
    robot: { role: credentials.role, shortName, proof: "identity" },
    robotShortName: shortName,
    robotFullName: robotFullName(registry.organization, shortName)
  }
}

/** The target with the robots this object's identity derives, in place of any of the original controller's. */
export const withDerivedRobot = (target: Target, ir: ImageRepository, registry: Registry): Target => ({
  ...target,
  ...derived(target, ir, registry),
  pull: target.pull === undefined ? undefined : derived(target.pull, ir, registry)
})
