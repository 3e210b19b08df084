import { Effect, Either, Option } from "effect"
import {
  finalizer,
  hasFinalizer,
  type ImageRepository,
  skipRepositoryDeletionAnnotation
} from "../domain/ImageRepository.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import { Quay, type QuayRepository } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { fromQuay } from "./errors.ts"
import { patchObject } from "./ImageRepositoryWrites.ts"
import { isOurRepository, originalRobotConfirmed } from "./ownership.ts"
import { unlinkSecret } from "./serviceAccountLinks.ts"
import { done } from "../services/ReconcileResult.ts"
import { reportDamages } from "./statusDamage.ts"
import * as Target from "./Target.ts"

/**
 * Quay failures block the deletion and are retried (the finalizer stays), so nothing is orphaned; only a request
 * Quay will never accept is given up on, with a warning, so a broken object cannot block its namespace forever.
 */
const bestEffort = (what: string) => <A, R>(effect: Effect.Effect<A, QuayError, R>) =>
  effect.pipe(
    Effect.asVoid,
    Effect.catchTag("QuayInvalidRequest", (e) => Effect.logWarning(`cleanup: ${what}: ${e.message}`)),
    Effect.mapError(fromQuay)
  )

/**
 * The push robot and the repository go, each only when it is shown to be this object's: a robot whose name the
 * identity derives, or one of the original controller's with a grant on this object's repository; a repository
 * marked for this object, or the original controller's (no mark) granted to that robot. Anything else status
 * names is left alone. The repository is read only when it is to be deleted or is needed to confirm the robot.
 */
const deleteQuayObjects = (ir: ImageRepository) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const credentials = Target.credentials(ir, quay)
    const target = Either.getRight(Target.chosen(ir, quay))
    const keepRepository = ir.metadata.annotations?.[skipRepositoryDeletionAnnotation] === "true"
    const original = credentials.robot.proof === "original"
    const found = Option.isSome(target) && (!keepRepository || original)
      ? yield* quay.getRepository(target.value.repository).pipe(Effect.mapError(fromQuay))
      : Option.none<QuayRepository>()
    const confirmed = original && Option.isSome(target) && Option.isSome(found)
      ? yield* originalRobotConfirmed(target.value).pipe(Effect.mapError(fromQuay))
      : false
    if (!original || confirmed) {
      yield* quay.deleteRobot(credentials.robotShortName).pipe(bestEffort(`robot ${credentials.robotShortName}`))
    } else {
      yield* Effect.logWarning(
        `cleanup: robot ${credentials.robotShortName} is left in Quay: it cannot be shown to be this object's`
      )
    }
    if (keepRepository || Option.isNone(found)) return
    if (isOurRepository(ir, found.value, confirmed)) {
      yield* quay.deleteRepository(found.value.name).pipe(bestEffort(`repository ${found.value.name}`))
    } else {
      yield* Effect.logInfo(`cleanup: repository ${found.value.name} is left in Quay: it is not this object's`)
    }
  })

/**
 * Whether anything may exist in Quay for the object. The target is recorded in status before the first Quay call,
 * and a failure that created nothing drops it again, so an object with no image URL that is not ready (never
 * provisioned that far, or failed before its repository existed) costs no Quay call to delete. A ready object
 * whose URL status lost is still cleaned up by the names its identity and spec derive.
 */
const mayHaveQuayObjects = (ir: ImageRepository): boolean =>
  ir.status?.image?.url !== undefined || ir.status?.state === "ready"

/**
 * Deletion: the push robot and the repository go (the repository stays when the skip annotation says so, and
 * when it is not this object's), the push Secret is unlinked from service accounts, then the finalizer is removed
 * and garbage collection takes the Secret. Status fields that named what is not this object's are reported.
 */
export const cleanup = (ir: ImageRepository, damages: ReadonlyArray<StatusDamage> = []) =>
  Effect.gen(function*() {
    if (!hasFinalizer(ir)) return done
    yield* reportDamages(ir, damages)
    const quay = yield* Quay
    if (mayHaveQuayObjects(ir)) yield* deleteQuayObjects(ir)
    const { secretName } = Target.credentials(ir, quay)
    yield* Effect.forEach(
      pushSecretTargets(ir),
      (serviceAccount) => unlinkSecret(ir.metadata.namespace ?? "", serviceAccount, secretName),
      { discard: true }
    )
    yield* patchObject(ir, { metadata: { finalizers: (ir.metadata.finalizers ?? []).filter((f) => f !== finalizer) } })
    yield* Effect.logInfo("cleaned up")
    return done
  }).pipe(Effect.withSpan("cleanup"))
