import { Effect, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { isMarked, isOwnedBy, robotDescription } from "../domain/Ownership.ts"
import { Critical } from "../domain/ReconcileError.ts"
import type { RobotRole } from "../domain/RobotName.ts"
import { Quay, type QuayRobot, type RepositoryRole } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { RepositoryMissing } from "./errors.ts"
import type { Credentials } from "./Target.ts"

/** What a robot of each role may do on its repository: push robots write, pull robots only read. */
export const permissionOf = (role: RobotRole): RepositoryRole => (role === "push" ? "write" : "read")

/**
 * Whether a robot read from Quay may be this object's: the operator's carry this object's mark; the original
 * controller's carry none (they are confirmed by their grant before they are read). Costs no call.
 */
const mayBeOurs = (ir: ImageRepository, credentials: Credentials, robot: QuayRobot): boolean =>
  isOwnedBy(robot.description, ir.metadata) || (credentials.robot.proof === "original" && !isMarked(robot.description))

const ours = (ir: ImageRepository, credentials: Credentials, robot: QuayRobot): Effect.Effect<QuayRobot, Critical> =>
  mayBeOurs(ir, credentials, robot)
    ? Effect.succeed(robot)
    : Effect.fail(
      new Critical({
        reason: "RobotNameTaken",
        message: `Quay robot '${credentials.robotShortName}' exists and is not marked as this ImageRepository's; it was not used`
      })
    )

/**
 * The robot of a role, with its token, created without any permission (so it can be created next to its
 * repository). The name is deterministic, so "already exists" means our own robot from an interrupted attempt:
 * read it back (its mark says so) instead of making another.
 */
export const createRobot = (ir: ImageRepository, credentials: Credentials) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    return yield* quay.createRobot(credentials.robotShortName, robotDescription(ir.metadata)).pipe(
      Effect.catchTag("QuayRobotAlreadyExists", () =>
        quay.getRobot(credentials.robotShortName).pipe(
          Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | Critical> =>
            // Deleted between the two calls: creating again is safe.
            Option.isNone(found)
              ? quay.createRobot(credentials.robotShortName, robotDescription(ir.metadata))
              : ours(ir, credentials, found.value)
          )
        )
      )
    )
  }).pipe(Effect.withSpan("createRobot", { attributes: { role: credentials.role, robot: credentials.robotShortName } }))

/** The robot's permission on the repository, which must exist: write for a push robot, read for a pull robot. */
export const grantRobot = (repository: string, role: RobotRole, robot: Pick<QuayRobot, "name">) =>
  Effect.flatMap(Quay, (quay) => quay.setPermission(repository, robot.name, permissionOf(role)))

/** The robot of a role with its permission on the repository: one after the other. */
export const obtainRobot = (ir: ImageRepository, repository: string, credentials: Credentials) =>
  Effect.tap(createRobot(ir, credentials), (robot) => grantRobot(repository, credentials.role, robot))

/**
 * Re-creates a robot deleted behind the operator's back. Its permission needs the repository, and Quay answers a
 * grant on a missing one with a bare 500, so a missing repository is told apart first (provisioning re-creates it).
 */
const recreateRobot = (ir: ImageRepository, repository: string, credentials: Credentials) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    if (Option.isNone(yield* quay.getRepository(repository))) {
      return yield* new RepositoryMissing({ repository })
    }
    return yield* obtainRobot(ir, repository, credentials)
  })

/** A fresh token for a role's robot; a robot deleted behind the operator's back is recreated with its permission. */
export const regenerateRobot = (
  ir: ImageRepository,
  repository: string,
  credentials: Credentials
): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | Critical, Quay> =>
  Effect.flatMap(Quay, (quay) =>
    quay
      .regenerateRobotToken(credentials.robotShortName)
      .pipe(Effect.catchTag("QuayNotFound", () => recreateRobot(ir, repository, credentials)))
  )

/** A role's robot with its current token, for re-creating a lost Secret without rotating anything. */
export const currentRobot = (ir: ImageRepository, repository: string, credentials: Credentials) =>
  Effect.flatMap(Quay, (quay) =>
    quay.getRobot(credentials.robotShortName).pipe(
      Effect.flatMap((found): Effect.Effect<QuayRobot, QuayError | RepositoryMissing | Critical, Quay> =>
        Option.isNone(found) ? recreateRobot(ir, repository, credentials) : ours(ir, credentials, found.value)
      )
    )
  )
