import { Effect } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import * as ReadyCondition from "../domain/ReadyCondition.ts"
import type { RobotRole } from "../domain/RobotName.ts"
import * as StatusClaims from "../domain/StatusClaims.ts"
import { now } from "../domain/Timestamp.ts"
import { writeStatus } from "./ImageRepositoryWrites.ts"
import { recordWarning } from "./recordEvent.ts"
import { settle } from "./statusTransitions.ts"
import { roles, type Target } from "./Target.ts"

/** The Event reason of a status field that named what is not this object's. */
export const statusDamagedReason = "StatusDamaged"

/** The status message for what was found damaged. */
export const damageMessage = (damages: ReadonlyArray<StatusClaims.StatusDamage>): string =>
  damages.map((d) => d.message).join("; ")

/** The fields this operator provisions (each role of the target), to put back over damaged ones. */
export const provisionedNames = (target: Target): Partial<Record<RobotRole, StatusClaims.RoleNames>> =>
  Object.fromEntries(roles(target).map((c) => [c.role, { robot: c.robotShortName, secret: c.secretName }]))

/** A Warning Event and a log line for each damaged field: `kubectl describe` shows what was refused. */
export const reportDamages = (ir: ImageRepository, damages: ReadonlyArray<StatusClaims.StatusDamage>) =>
  Effect.forEach(
    damages,
    (damage) =>
      Effect.logWarning(`status damaged: ${damage.message}`).pipe(
        Effect.andThen(recordWarning(ir, statusDamagedReason, damage.message))
      ),
    { discard: true }
  )

/**
 * Puts back status fields that Quay showed are not this object's, with the message and Events, and nothing else:
 * the next pass acts on the corrected status. Guarded, so a status written meanwhile is read again first.
 */
export const putBackDamage = (
  ir: ImageRepository,
  damages: ReadonlyArray<StatusClaims.StatusDamage>,
  target: Target
) =>
  Effect.gen(function*() {
    const at = yield* now
    const message = damageMessage(damages)
    const status = StatusClaims.putBack(ir.status, damages, provisionedNames(target))
    yield* writeStatus(
      ir,
      settle(
        ir,
        status,
        message,
        ReadyCondition.isTrue(ir.status) && status.image !== undefined
          ? { status: "True", reason: ReadyCondition.Reason.ChangeReverted, message }
          : { status: "False", reason: statusDamagedReason, message },
        at
      ),
      { guarded: true }
    )
    yield* reportDamages(ir, damages)
  })
