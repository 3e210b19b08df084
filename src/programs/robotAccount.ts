import { Effect, Option } from "effect"
import { type ImageRepository, ownerKind as imageRepositoryKind } from "../domain/ImageRepository.ts"
import type { ObjectMeta, OwnerKind } from "../domain/ObjectMeta.ts"
import { isMarked, isOwnedBy, robotDescription } from "../domain/Ownership.ts"
import { Critical } from "../domain/ReconcileError.ts"
import type { RobotRole } from "../domain/RobotName.ts"
import { Quay, type QuayRobot, type RepositoryRole } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { RepositoryMissing } from "./errors.ts"
import { isOurRepository, repositoryNotOurs, type StatusDamaged } from "./ownership.ts"
import type { Credentials, Target } from "./Target.ts"

/** One robot account of an object: its deterministic name, and what it may do on the object's repository. */
export interface RobotAccount {
  readonly shortName: string
  readonly repository: string
  /** `write` for a push robot, `read` for a pull robot. */
  readonly permission: RepositoryRole
}

export interface RobotAccountOptions {
  /** The owner's kind, as the robot's description and messages name it. Default ImageRepository. */
  readonly kind?: OwnerKind | undefined
  /** Whether an existing robot of the name may be used. Default: it carries the owner's mark. */
  readonly mayUse?: ((robot: QuayRobot) => boolean) | undefined
}

/** What a robot of each role may do on its repository: push robots write, pull robots only read. */
export const permissionOf = (role: RobotRole): RepositoryRole => (role === "push" ? "write" : "read")

/** An existing robot, when it may be used; a robot of that name that is someone else's is never used. */
export const usable = (
  robot: QuayRobot,
  mayUse: boolean,
  kind: OwnerKind = imageRepositoryKind
): Effect.Effect<QuayRobot, Critical> =>
  mayUse
    ? Effect.succeed(robot)
    : Effect.fail(
      new Critical({
        reason: "RobotNameTaken",
        message: `Quay robot '${robot.shortName}' exists and is not marked as this ${kind.kind}'s; it was not used`
      })
    )

/**
 * The robot with its token, marked as the owner's and created without any permission (so it can be created next
 * to its repository). The name is deterministic, so "already exists" means the owner's own robot from an
 * interrupted attempt: it is read back (its mark says so) instead of making another.
 */
export const createRobot = (
  owner: { readonly metadata: ObjectMeta },
  shortName: string,
  options: RobotAccountOptions = {}
): Effect.Effect<QuayRobot, QuayError | Critical, Quay> =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const kind = options.kind ?? imageRepositoryKind
    const description = robotDescription(owner.metadata, kind.kind)
    const mayUse = options.mayUse ?? ((robot: QuayRobot) => isOwnedBy(robot.description, owner.metadata))
    return yield* quay.createRobot(shortName, description).pipe(
      Effect.catchTag("QuayRobotAlreadyExists", () =>
        quay.getRobot(shortName).pipe(
          Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | Critical> =>
            // Deleted between the two calls: creating again is safe.
            Option.isNone(found)
              ? quay.createRobot(shortName, description)
              : usable(found.value, mayUse(found.value), kind)
          )
        ))
    )
  }).pipe(Effect.withSpan("createRobot", { captureStackTrace: false, attributes: { robot: shortName } }))

/** The robot with its token and `permission` on the repository, which must exist: one after the other. */
export const obtainRobot = (
  owner: { readonly metadata: ObjectMeta },
  account: RobotAccount,
  options: RobotAccountOptions = {}
): Effect.Effect<QuayRobot, QuayError | Critical, Quay> =>
  Effect.tap(
    createRobot(owner, account.shortName, options),
    (robot) => Effect.flatMap(Quay, (quay) => quay.setPermission(account.repository, robot.name, account.permission))
  )

/**
 * Whether a robot read from Quay may be this ImageRepository's: the operator's carry this object's mark; the
 * original controller's carry none (they are confirmed by their grant before they are read). Costs no call.
 */
const mayBeOurs = (ir: ImageRepository, credentials: Credentials) => (robot: QuayRobot): boolean =>
  isOwnedBy(robot.description, ir.metadata) || (credentials.robot.proof === "original" && !isMarked(robot.description))

/** A role's robot of an ImageRepository, with its token and no permission yet. */
export const createRoleRobot = (ir: ImageRepository, credentials: Credentials) =>
  createRobot(ir, credentials.robotShortName, { mayUse: mayBeOurs(ir, credentials) }).pipe(
    Effect.withSpan("createRoleRobot", { captureStackTrace: false, attributes: { role: credentials.role } })
  )

/** The robot's permission on the repository, which must exist: write for a push robot, read for a pull robot. */
export const grantRobot = (repository: string, role: RobotRole, robot: Pick<QuayRobot, "name">) =>
  Effect.flatMap(Quay, (quay) => quay.setPermission(repository, robot.name, permissionOf(role)))

/**
 * Re-creates a robot deleted behind the operator's back. Its permission needs the repository, and Quay answers a
 * grant on a missing one with a bare 500, so a missing repository is told apart first (provisioning re-creates it);
 * the same read shows whether the repository is this object's, since a grant is given only on its own. (An
 * original controller's robot gets here only after its grant confirmed the repository in this pass.)
 */
const recreateRobot = (ir: ImageRepository, target: Target, credentials: Credentials) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const repository = yield* quay.getRepository(target.repository)
    if (Option.isNone(repository)) return yield* new RepositoryMissing({ repository: target.repository })
    if (!isOurRepository(ir, repository.value, credentials.robot.proof === "original")) {
      return yield* repositoryNotOurs(target)
    }
    return yield* obtainRobot(
      ir,
      { shortName: credentials.robotShortName, repository: target.repository, permission: permissionOf(credentials.role) },
      { mayUse: mayBeOurs(ir, credentials) }
    )
  })

/** A fresh token for a role's robot; a robot deleted behind the operator's back is recreated with its permission. */
export const regenerateRobot = (
  ir: ImageRepository,
  target: Target,
  credentials: Credentials
): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | StatusDamaged | Critical, Quay> =>
  Effect.flatMap(Quay, (quay) =>
    quay
      .regenerateRobotToken(credentials.robotShortName)
      .pipe(Effect.catchTag("QuayNotFound", () => recreateRobot(ir, target, credentials)))
  )

/** A role's robot with its current token, for re-creating a lost Secret without rotating anything. */
export const currentRobot = (ir: ImageRepository, target: Target, credentials: Credentials) =>
  Effect.flatMap(Quay, (quay) =>
    quay.getRobot(credentials.robotShortName).pipe(
      Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | StatusDamaged | Critical, Quay> =>
        Option.isNone(found)
          ? recreateRobot(ir, target, credentials)
          : usable(found.value, mayBeOurs(ir, credentials)(found.value))
      )
    )
  )
