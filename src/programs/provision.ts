import { Effect, Either } from "effect"
import { finalizer, hasFinalizer, type ImageRepository } from "../domain/ImageRepository.ts"
import * as MergePatch from "../domain/MergePatch.ts"
import * as ReadyCondition from "../domain/ReadyCondition.ts"
import { Critical } from "../domain/ReconcileError.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import * as StatusClaims from "../domain/StatusClaims.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { now } from "../domain/Timestamp.ts"
import * as TransitionEvent from "../domain/TransitionEvent.ts"
import { defaultVisibility, isVisibility, type Visibility } from "../domain/Visibility.ts"
import { ProgramSettings } from "../services/ProgramSettings.ts"
import { Quay } from "../services/Quay.ts"
import { createQuayObjects, type Robots } from "./createQuayObjects.ts"
import { patchObject, writeStatus } from "./ImageRepositoryWrites.ts"
import { recordProvisioned } from "./provisionMetrics.ts"
import { recordEvent } from "./recordEvent.ts"
import { linkSecret } from "./serviceAccountLinks.ts"
import { done } from "../services/ReconcileResult.ts"
import { damageMessage, provisionedNames, reportDamages } from "./statusDamage.ts"
import { markFailed, settle } from "./statusTransitions.ts"
import { notificationsAfterProvisioning } from "./syncNotifications.ts"
import * as Target from "./Target.ts"
import { deliverCredentials, withRemoteSecretFields } from "./remoteSecrets.ts"

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
 * The repository is recorded in status before the first Quay call, with the decision whether it is a component
 * repository: from then on both are this object's, whatever later edits to spec.image.name or the labels say, so
 * nothing created under them can be lost track of. Damaged fields are put back in the same write.
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
    image: { url: target.imageUrl, visibility: status.image?.visibility ?? visibility },
    ...(target.component === undefined ? {} : { component: target.component })
  })
}

/** Each role's status.credentials fields: `push-robot-account`, `push-secret`, and the pull ones of a component's. */
const credentialFields = (target: Target.Target): Record<string, string> =>
  Object.fromEntries(
    Target.roles(target).flatMap((c) => [
      [StatusClaims.robotField(c.role), c.robotShortName],
      [StatusClaims.secretField(c.role), c.secretName]
    ])
  )

/** After Quay has what the object needs: each role's Secret, the ready status, the push Secret's link. */
const provisionRepository = (
  ir: ImageRepository,
  target: Target.Target,
  visibility: Visibility,
  message: string | undefined,
  robots: Robots
) =>
  Effect.gen(function*() {
    for (const credentials of Target.roles(target)) {
      const robot = robots[credentials.role]
      if (robot !== undefined) yield* deliverCredentials(ir, target, credentials, robot)
    }
    const at = yield* now
    const settings = yield* ProgramSettings
    const ready = yield* writeStatus(
      ir,
      settle(
        ir,
        withRemoteSecretFields({
          state: "ready",
          image: { url: target.imageUrl, visibility },
          credentials: {
            // Other roles' fields (the original controller's pull robot) are kept: they were checked on the way in.
            ...ir.status?.credentials,
            generationTimestamp: at,
            ...credentialFields(target)
          },
          ...(target.component === undefined ? {} : { component: target.component }),
          ...(ir.status?.conditions === undefined ? {} : { conditions: ir.status.conditions })
        }, target, settings.credentialDelivery),
        message,
        message === undefined
          ? { status: "True", reason: ReadyCondition.Reason.Provisioned, message: "Image repository is ready" }
          : { status: "True", reason: ReadyCondition.Reason.ChangeReverted, message },
        at
      )
    )
    yield* Effect.logInfo(`provisioned ${target.imageUrl}`)
    const roles = Target.roles(target)
    yield* recordEvent(
      ready,
      TransitionEvent.provisioned(
        target.imageUrl,
        visibility,
        roles.map((c) => c.robotFullName),
        roles.map((c) => c.secretName),
        ir.status?.state === "ready"
      )
    )
    // The original's SLI: first provisioning only, not a repository re-created under a ready object.
    if (ir.status?.state !== "ready") yield* recordProvisioned(ready)
    yield* notificationsAfterProvisioning(ready, target)
    // The repository is usable now: a ServiceAccount that does not exist yet delays its link, not readiness.
    yield* Effect.forEach(
      pushSecretTargets(ready, settings.pipelineServiceAccount),
      (serviceAccount) => linkSecret(ready.metadata.namespace ?? "", serviceAccount, target.secretName),
      { discard: true }
    )
    return done
  })

/**
 * Provisioning: repository and robots (push; pull too for a component repository) at once, then their permissions,
 * each robot's Secret, status. Bad input is refused before anything is created; a critical Quay refusal fails the
 * object. Also re-creates a recorded repository that was deleted behind the operator's back: the robots then are
 * the ones the identity derives, since an original controller's robot can only be shown to be this object's by
 * its grant on the repository that is gone. Status fields that named what is not this object's (`damages`) are
 * reported and put back.
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
    const message = damages.length === 0 ? undefined : damageMessage(damages)
    return yield* createQuayObjects(recorded, target.right, visibility).pipe(
      Effect.flatMap((robots) => provisionRepository(recorded, target.right, visibility, message, robots)),
      // Quay refused the repository, so nothing exists: the failed object shows no image URL.
      Effect.catchTag("RepositoryRefused", (refused) => markFailed(recorded, refused.error, { nothingCreated: true })),
      Effect.catchTag("Critical", (error) => markFailed(recorded, error))
    )
  }).pipe(Effect.withSpan("provision", { captureStackTrace: false }))
