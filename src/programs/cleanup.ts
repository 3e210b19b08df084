import { Effect, Either, Option } from "effect"
import {
  finalizer,
  hasFinalizer,
  type ImageRepository,
  skipRepositoryDeletionAnnotation
} from "../domain/ImageRepository.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { componentOf } from "../domain/ComponentRepository.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import { ProgramSettings } from "../services/ProgramSettings.ts"
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

/** The robots an object's deletion removes: push, and pull for a component repository or the original's pull robot. */
const robotsOf = (ir: ImageRepository, registry: Pick<Quay, "organization" | "registryHost">) => {
  const pull = Target.credentials(ir, registry, "pull")
  return componentOf(ir) !== undefined || pull.robot.proof === "original"
    ? [Target.credentials(ir, registry), pull]
    : [Target.credentials(ir, registry)]
}

/**
 * The robots and the repository go, each only when it is shown to be this object's: a robot whose name the
 * identity derives, or one of the original controller's with a grant on this object's repository; a repository
 * marked for this object, or the original controller's (no mark) granted to its push robot. Anything else status
 * names is left alone. The repository is read only when it is to be deleted or is needed to confirm a robot.
 */
const deleteQuayObjects = (ir: ImageRepository) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const robots = robotsOf(ir, quay)
    const target = Either.getRight(Target.chosen(ir, quay))
    const keepRepository = ir.metadata.annotations?.[skipRepositoryDeletionAnnotation] === "true"
    const original = robots.some((c) => c.robot.proof === "original")
    const found = Option.isSome(target) && (!keepRepository || original)
      ? yield* quay.getRepository(target.value.repository).pipe(Effect.mapError(fromQuay))
      : Option.none<QuayRepository>()
    let pushConfirmed = false
    for (const credentials of robots) {
      const isOriginal = credentials.robot.proof === "original"
      // Confirmed before the robot goes: deleting it removes its grants.
      const confirmed = isOriginal && Option.isSome(target) && Option.isSome(found)
        ? yield* originalRobotConfirmed({ repository: target.value.repository, robotFullName: credentials.robotFullName })
          .pipe(Effect.mapError(fromQuay))
        : false
      if (credentials.role === "push") pushConfirmed = confirmed
      if (!isOriginal || confirmed) {
        yield* quay.deleteRobot(credentials.robotShortName).pipe(bestEffort(`robot ${credentials.robotShortName}`))
      } else {
        yield* Effect.logWarning(
          `cleanup: robot ${credentials.robotShortName} is left in Quay: it cannot be shown to be this object's`
        )
      }
    }
    if (keepRepository || Option.isNone(found)) return
    if (isOurRepository(ir, found.value, pushConfirmed)) {
      yield* quay.deleteRepository(found.value.name).pipe(bestEffort(`repository ${found.value.name}`))
    } else {
      yield* Effect.logInfo(`cleanup: repository ${found.value.name} is left in Quay: it is not this object's`)
    }
  })

/**
 * Deletion: the robots and the repository go (the repository stays when the skip annotation says so, and
 * when it is not this object's), the Secrets are unlinked from the pipeline ServiceAccount, then the finalizer is
 * removed and garbage collection takes the Secrets. Status fields that named what is not this object's are reported.
 */
export const cleanup = (ir: ImageRepository, damages: ReadonlyArray<StatusDamage> = []) =>
  Effect.gen(function*() {
    if (!hasFinalizer(ir)) return done
    yield* reportDamages(ir, damages)
    const quay = yield* Quay
    yield* deleteQuayObjects(ir)
    const settings = yield* ProgramSettings
    const secrets = robotsOf(ir, quay).map((c) => c.secretName)
    yield* Effect.forEach(
      pushSecretTargets(ir, settings.pipelineServiceAccount).flatMap((sa) => secrets.map((secret) => [sa, secret] as const)),
      ([serviceAccount, secret]) => unlinkSecret(ir.metadata.namespace ?? "", serviceAccount, secret),
      { discard: true }
    )
    yield* patchObject(ir, { metadata: { finalizers: (ir.metadata.finalizers ?? []).filter((f) => f !== finalizer) } })
    yield* Effect.logInfo("cleaned up")
    return done
  }).pipe(Effect.withSpan("cleanup"))
