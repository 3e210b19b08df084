import { Effect, Option } from "effect"
import { ownerKind as imageRepositoryKind } from "../domain/ImageRepository.ts"
import type { ObjectMeta, OwnerKind } from "../domain/ObjectMeta.ts"
import { isOwnedBy, robotDescription } from "../domain/Ownership.ts"
import { Critical } from "../domain/ReconcileError.ts"
import { Quay, type QuayRobot, type RepositoryRole } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"

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
 * The robot with its token and `permission` on the repository, marked as the owner's. The name is deterministic,
 * so "already exists" means the owner's own robot from an interrupted attempt: it is read back (its mark says so)
 * instead of making another.
 */
export const obtainRobot = (
  owner: { readonly metadata: ObjectMeta },
  account: RobotAccount,
  options: RobotAccountOptions = {}
): Effect.Effect<QuayRobot, QuayError | Critical, Quay> =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const kind = options.kind ?? imageRepositoryKind
    const description = robotDescription(owner.metadata, kind.kind)
    const mayUse = options.mayUse ?? ((robot: QuayRobot) => isOwnedBy(robot.description, owner.metadata))
    const robot = yield* quay.createRobot(account.shortName, description).pipe(
      Effect.catchTag("QuayRobotAlreadyExists", () =>
        quay.getRobot(account.shortName).pipe(
          Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | Critical> =>
            // Deleted between the two calls: creating again is safe.
            Option.isNone(found)
              ? quay.createRobot(account.shortName, description)
              : usable(found.value, mayUse(found.value), kind)
          )
        ))
    )
    yield* quay.setPermission(account.repository, robot.name, account.permission)
    return robot
  })
