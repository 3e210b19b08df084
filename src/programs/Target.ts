import { Either, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { imageUrl, type InvalidRepositoryName, resolveRepositoryName } from "../domain/RepositoryName.ts"
import { robotFullName, robotRoles } from "../domain/RobotName.ts"
import * as StatusClaims from "../domain/StatusClaims.ts"
import type { Quay } from "../services/Quay.ts"

/**
 * The push robot and Secret of an ImageRepository: the names status records when the object's identity accounts
 * for them (StatusClaims), else the ones it derives; never a name status merely asserts.
 */
export interface Credentials {
  readonly robot: StatusClaims.RobotClaim
  readonly robotShortName: string
  readonly robotFullName: string
  readonly secretName: string
}

/** Everything an ImageRepository maps to in Quay and in its namespace. */
export interface Target extends Credentials {
  readonly repository: string
  readonly imageUrl: string
}

type Registry = Pick<Quay, "organization" | "registryHost">

/** What status names, checked against the object's identity (no call). */
export const inspect = (ir: ImageRepository, registry: Registry): StatusClaims.StatusClaims =>
  StatusClaims.inspect(ir, registry)

const credentialsOf = (claims: StatusClaims.StatusClaims, registry: Registry): Credentials => ({
  robot: claims.robots.push,
  robotShortName: claims.robots.push.shortName,
  robotFullName: robotFullName(registry.organization, claims.robots.push.shortName),
  secretName: claims.secrets.push
})

export const credentials = (ir: ImageRepository, registry: Registry): Credentials => credentialsOf(inspect(ir, registry), registry)

/**
 * Every robot this object may own, as deletion must know them: the push robot, and the pull robot of any role
 * whose field status fills (the original controller gave every object one). Each by the name status records when
 * the identity accounts for it, else the one it derives.
 */
export const robots = (ir: ImageRepository, registry: Registry): ReadonlyArray<StatusClaims.RobotClaim> => {
  const claims = inspect(ir, registry)
  return robotRoles
    .filter((role) => role === "push" || ir.status?.credentials?.[StatusClaims.robotField(role)] !== undefined)
    .map((role) => claims.robots[role])
}

const targetFor = (ir: ImageRepository, registry: Registry, repository: string): Target => ({
  ...credentials(ir, registry),
  repository,
  imageUrl: imageUrl(registry.registryHost, registry.organization, repository)
})

/**
 * The target recorded in status: written before the first Quay call, so a spec edit while provisioning can
 * neither redirect Quay calls nor leave a first repository behind. Status wins over spec, but only a URL under
 * this object's namespace counts; whether the repository is this object's is confirmed in Quay where it is touched.
 */
export const recorded = (ir: ImageRepository, registry: Registry): Option.Option<Target> =>
  Option.fromNullable(inspect(ir, registry).repository).pipe(Option.map((repository) => targetFor(ir, registry, repository)))

/** The target the spec asks for; an invalid name is refused here, before anything exists in Quay. */
export const requested = (ir: ImageRepository, registry: Registry): Either.Either<Target, InvalidRepositoryName> =>
  Either.map(
    resolveRepositoryName(ir.metadata.namespace ?? "", ir.metadata.name, ir.spec?.image?.name),
    (repository) => targetFor(ir, registry, repository)
  )

/** The recorded target if there is one, else the one the spec asks for. */
export const chosen = (ir: ImageRepository, registry: Registry): Either.Either<Target, InvalidRepositoryName> =>
  Option.match(recorded(ir, registry), { onNone: () => requested(ir, registry), onSome: Either.right })

/** The target with the robot this object's identity derives, in place of one of the original controller's. */
export const withDerivedRobot = (target: Target, ir: ImageRepository, registry: Registry): Target => {
  if (target.robot.proof === "identity") return target
  const shortName = StatusClaims.derivedRobot(ir, "push", registry.organization)
  return {
    ...target,
    robot: { role: "push", shortName, proof: "identity" },
    robotShortName: shortName,
    robotFullName: robotFullName(registry.organization, shortName)
  }
}
