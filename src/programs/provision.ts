import { Effect, Either, Option } from "effect"
import { finalizer, hasFinalizer, type ImageRepository } from "../domain/ImageRepository.ts"
import * as MergePatch from "../domain/MergePatch.ts"
import * as ReadyCondition from "../domain/ReadyCondition.ts"
import { Critical } from "../domain/ReconcileError.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import * as StatusClaims from "../domain/StatusClaims.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { now } from "../domain/Timestamp.ts"
import { defaultVisibility, isVisibility, type Visibility } from "../domain/Visibility.ts"
import { Quay } from "../services/Quay.ts"
import { isQuayError } from "../services/QuayError.ts"
import { ensureRepository } from "./ensureRepository.ts"
import { recordProvisioned } from "./provisionMetrics.ts"
import { fromQuayWhileProvisioning } from "./errors.ts"
import { patchObject, writeStatus } from "./ImageRepositoryWrites.ts"
import { obtainPushRobot } from "./pushRobot.ts"
import { linkSecret } from "./serviceAccountLinks.ts"
import { done } from "../services/ReconcileResult.ts"
import { damageMessage, provisionedNames, reportDamages } from "./statusDamage.ts"
import { markFailed, settle } from "./statusTransitions.ts"
import * as Target from "./Target.ts"
import { writePushSecret } from "./writePushSecret.ts"

/**
 * Claims the object before anything exists in Quay: the finalizer (so a deletion from now on always cleans up)
 * and the defaults written back into spec, in one guarded write, or none when both are already there.
 * A name the user gave is kept as written: rewriting it would fight GitOps tools over the field.
 */
const claim = (ir: ImageRepository, target: Target.Target, visibility: Visibility) => {
  const view = (finalizers: ReadonlyArray<string> | undefined, name?: string, vis?: string) => ({
    metadata: { finalizers },
    spec: { image: { name, visibility: vis } }
  })
  const image = ir.spec?.image
  const current = view(ir.metadata.finalizers, image?.name, image?.visibility)
  const desired = view(
    hasFinalizer(ir) ? ir.metadata.finalizers : [...(ir.metadata.finalizers ?? []), finalizer],
    image?.name === undefined || image.name === "" ? target.repository : image.name,
    image?.visibility ?? visibility
  )
  const patch = MergePatch.diff(current, desired)
  return patch === undefined ? Effect.succeed(ir) : patchObject(ir, patch as { readonly [key: string]: unknown })
}

/**
 * The repository is recorded in status before the first Quay call: from then on it is this object's, whatever
 * later edits to spec.image.name say, so nothing created under it can be lost track of. Damaged fields are put
 * back in the same write.
 */
const recordTarget = (
  ir: ImageRepository,
  target: Target.Target,
  visibility: Visibility,
  damages: ReadonlyArray<StatusDamage>
) => {
  const status = StatusClaims.putBack(ir.status, damages, provisionedNames(target))
  return writeStatus(ir, {
    ...status,
    image: { url: target.imageUrl, visibility: status.image?.visibility ?? visibility }
  })
}

/** After the repository exists: the push robot with write permission, the push Secret, the ready status, links. */
const provisionRepository = (
  ir: ImageRepository,
  target: Target.Target,
  visibility: Visibility,
  message: string | undefined
) =>
  Effect.gen(function*() {
    const robot = yield* obtainPushRobot(ir, target).pipe(
      Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuayWhileProvisioning(e)))
    )
    yield* writePushSecret(ir, target, robot)
    const at = yield* now
    const ready = yield* writeStatus(
      ir,
      settle(
        ir,
        {
          state: "ready",
          image: { url: target.imageUrl, visibility },
          credentials: {
            // Other roles' fields (the original controller's pull robot) are kept: they were checked on the way in.
            ...ir.status?.credentials,
            generationTimestamp: at,
            "push-robot-account": target.robotShortName,
            "push-secret": target.secretName
          },
          ...(ir.status?.conditions === undefined ? {} : { conditions: ir.status.conditions })
        },
        message,
        message === undefined
          ? { status: "True", reason: ReadyCondition.Reason.Provisioned, message: "Image repository is ready" }
          : { status: "True", reason: ReadyCondition.Reason.ChangeReverted, message },
        at
      )
    )
    yield* Effect.logInfo(`provisioned ${target.imageUrl}`)
    // The original's SLI: first provisioning only, not a repository re-created under a ready object.
    if (ir.status?.state !== "ready") yield* recordProvisioned(ready)
    // The repository is usable now: a ServiceAccount that does not exist yet delays its link, not readiness.
    yield* Effect.forEach(
      pushSecretTargets(ready),
      (serviceAccount) => linkSecret(ready.metadata.namespace ?? "", serviceAccount, target.secretName),
      { discard: true }
    )
    return done
  })

/**
 * Provisioning: repository, push robot with write permission, push Secret, status. Bad input is refused before
 * anything is created; a critical Quay refusal fails the object. Also re-creates a recorded repository that was
 * deleted behind the operator's back: the robot then is the one the identity derives, since an original
 * controller's robot can only be shown to be this object's by its grant on the repository that is gone.
 * Status fields that named what is not this object's (`damages`) are reported and put back.
 */
export const provision = (ir: ImageRepository, damages: ReadonlyArray<StatusDamage> = []) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    yield* reportDamages(ir, damages)
    const target = Either.map(Target.chosen(ir, quay), (t) => Target.withDerivedRobot(t, ir, quay))
    if (Either.isLeft(target)) {
      return yield* markFailed(ir, new Critical({ reason: "InvalidImageName", message: target.left.message }))
    }
    const requested = ir.spec?.image?.visibility ?? defaultVisibility
    // Re-provisioning keeps the recorded visibility when the spec holds one that maintenance is about to revert.
    const visibility = isVisibility(requested) ? requested : ir.status?.image?.visibility ?? requested
    if (!isVisibility(visibility)) {
      return yield* markFailed(
        ir,
        new Critical({
          reason: "InvalidVisibility",
          message: `unknown visibility '${requested}': spec.image.visibility must be public or private`
        })
      )
    }
    const claimed = yield* claim(ir, target.right, visibility)
    const recorded = yield* recordTarget(claimed, target.right, visibility, damages)
    const refused = yield* ensureRepository(recorded, target.right, visibility).pipe(
      Effect.as(Option.none<Critical>()),
      Effect.catchTag("Critical", (error) => Effect.succeed(Option.some(error)))
    )
    // Quay refused the repository, so nothing exists: the failed object shows no image URL.
    if (Option.isSome(refused)) return yield* markFailed(recorded, refused.value, { nothingCreated: true })
    const message = damages.length === 0 ? undefined : damageMessage(damages)
    return yield* provisionRepository(recorded, target.right, visibility, message).pipe(
      Effect.catchTag("Critical", (error) => markFailed(recorded, error))
    )
  }).pipe(Effect.withSpan("provision"))
