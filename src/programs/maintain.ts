import { Effect, Option } from "effect"
import { finalizer, hasFinalizer, type ImageRepository, type ImageRepositoryStatus } from "../domain/ImageRepository.ts"
import * as MergePatch from "../domain/MergePatch.ts"
import { refOf } from "../domain/ObjectMeta.ts"
import * as RobotSecret from "../domain/RobotSecret.ts"
import * as ReadyCondition from "../domain/ReadyCondition.ts"
import { type Critical, NonCritical, Transient } from "../domain/ReconcileError.ts"
import type { ServiceAccount as ServiceAccountObject } from "../domain/ServiceAccount.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import * as StatusClaims from "../domain/StatusClaims.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { now } from "../domain/Timestamp.ts"
import * as TokenRegeneration from "../domain/TokenRegeneration.ts"
import type { EventInput } from "../domain/Event.ts"
import * as TransitionEvent from "../domain/TransitionEvent.ts"
import { isVisibility } from "../domain/Visibility.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { ProgramSettings } from "../services/ProgramSettings.ts"
import { Quay, type QuayRepository, type QuayRobot } from "../services/Quay.ts"
import { isQuayError, type QuayError } from "../services/QuayError.ts"
import { Secret, ServiceAccount } from "../services/ResourceKind.ts"
import { fromKubernetes, fromQuay, isRoutineRetry, RepositoryMissing } from "./errors.ts"
import { clearedFlags, clearFlag, clearFlags, type ObjectGone, patchObject, recordVisibility, writeStatus } from "./ImageRepositoryWrites.ts"
import { confirmTarget, type StatusDamaged } from "./ownership.ts"
import { asksLinkVerification, asksRegeneration, isQuiet, keepsName } from "./quietPass.ts"
import { recordEvent, recordWarning } from "./recordEvent.ts"
import { currentRobot, regenerateRobot } from "./robotAccount.ts"
import { linkSecret, verifySecretLinks, verifySecretReferences } from "./serviceAccountLinks.ts"
import { done } from "../services/ReconcileResult.ts"
import { provisionedNames, putBackDamage, statusDamagedReason } from "./statusDamage.ts"
import { settle } from "./statusTransitions.ts"
import { notificationsStep } from "./syncNotifications.ts"
import { withVisibility, writeVisibilityAhead } from "./visibilityWriteAhead.ts"
import { type Credentials, roles, type Target, withDerivedRobot } from "./Target.ts"
import {
  deliverCredentials,
  deliversThroughRemoteSecrets,
  leaveRemoteSecrets,
  pullServiceAccount,
  repairRemoteSecret,
  withRemoteSecretFields
} from "./remoteSecrets.ts"

/** What one maintenance pass decided: spec fields to write back, the next status, and what to tell the user. */
interface Pass {
  readonly specPatch: unknown
  readonly status: ImageRepositoryStatus
  /** An operation succeeded in this pass; per the spec that clears status.message. */
  readonly succeeded: boolean
  /** Changes put back in this pass: each becomes the status message and a Warning Event. */
  readonly warnings: ReadonlyArray<{ readonly reason: string; readonly message: string }>
  /** What this pass changed, each a Normal Event once the status recording it is written. */
  readonly events: ReadonlyArray<EventInput>
  readonly secretWritten: boolean
  /** The object as this pass wrote it ahead of a visibility change: what the commit's guarded write goes by. */
  readonly written?: ImageRepository
}

const withEvent = (pass: Pass, event: EventInput): Pass => ({ ...pass, events: [...pass.events, event] })

const patchSpec = (pass: Pass, patch: unknown): Pass => ({ ...pass, specPatch: MergePatch.combine(pass.specPatch, patch) })

const imageField = (field: "name" | "visibility", value: string | null) => ({ spec: { image: { [field]: value } } })

/** A NonCritical error becomes a reverted spec field and a message; the rest of the pass goes on. */
type Step<R> = Effect.Effect<Pass, NonCritical | Transient | RepositoryMissing | StatusDamaged | ObjectGone, R>
const tolerate = <R>(pass: Pass, step: Step<R>) =>
  Effect.catchTag(step, "NonCritical", (error) =>
    Effect.succeed({
      ...patchSpec(pass, imageField(error.revert.field === "image.name" ? "name" : "visibility", error.revert.value)),
      warnings: [...pass.warnings, { reason: error.reason, message: error.message }]
    })
  )

/**
 * Confirms, at most once per pass, that the target is this object's (ownership.ts confirmTarget): before the
 * repository is changed, and before a robot of the original controller is touched.
 */
type Confirmed = Effect.Effect<QuayRepository, StatusDamaged | RepositoryMissing | Transient, Quay>

/**
 * The name is fixed at creation: a different spec.image.name is put back. Putting back writes the recorded
 * repository into spec, so it is confirmed first (a rename attempt is rare; a status URL naming another object's
 * repository must not end up in this object's spec).
 */
const guardName = (ir: ImageRepository, target: Target, pass: Pass, confirmed: Confirmed) =>
  Effect.gen(function*() {
    if (keepsName(ir, target)) return pass
    const requested = ir.spec?.image?.name
    yield* confirmed
    if (requested === undefined || requested === "") return patchSpec(pass, imageField("name", target.repository))
    return yield* new NonCritical({
      reason: "ImageNameImmutable",
      message: `Image repository name cannot be changed after creation: spec.image.name was reverted from '${requested}' to '${target.repository}'. To use another name, delete this ImageRepository and create it again.`,
      revert: { field: "image.name", value: target.repository }
    })
  })

/** Visibility can change at any time; a plan that refuses private repositories reverts the field. */
const applyVisibility = (ir: ImageRepository, target: Target, pass: Pass, confirmed: Confirmed) =>
  Effect.gen(function*() {
    const recorded = ir.status?.image?.visibility
    const current = recorded ?? (yield* confirmed).visibility // none recorded: Quay's (visibilityWriteAhead.ts)
    const known = recorded === current ? pass : withVisibility(pass, current)
    const requested = ir.spec?.image?.visibility
    // A removed field keeps the repository as it is: defaulting to public here could expose a private one.
    if (requested === undefined) return patchSpec(known, imageField("visibility", current))
    if (!isVisibility(requested)) {
      return yield* new NonCritical({
        reason: "InvalidVisibility",
        message: `unknown visibility '${requested}': spec.image.visibility must be public or private; reverted to '${current}'`,
        revert: { field: "image.visibility", value: current }
      })
    }
    if (requested === current) return known
    yield* confirmed
    const written = yield* writeVisibilityAhead(ir)
    const quay = yield* Quay
    yield* quay.changeVisibility(target.repository, requested).pipe(
      Effect.catchTag(
        "QuayPlanLimitExceeded",
        () =>
          new NonCritical({
            reason: "PrivateRepositoriesLimit",
            message: "Quay organization plan private repositories limit exceeded",
            revert: { field: "image.visibility", value: current }
          })
      ),
      Effect.catchTag("QuayNotFound", () => new RepositoryMissing({ repository: target.repository })),
      Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuay(e)))
    )
    yield* Effect.logInfo(`visibility of ${target.imageUrl} changed to ${requested}`)
    const changed = withEvent(pass, TransitionEvent.visibilityChanged(target.imageUrl, current, requested))
    return { ...withVisibility(changed, requested), written, succeeded: true }
  })

/** After provisioning nothing fails the object: a Secret that cannot be written is retried, with its message shown. */
const retryCritical = (e: Critical | Transient): Transient =>
  e._tag === "Critical" ? new Transient({ reason: e.reason, message: e.message }) : e

/** The Quay side of a credentials operation: never critical after provisioning, always retried. */
const afterProvisioning = <A, R>(
  effect: Effect.Effect<A, QuayError | RepositoryMissing | StatusDamaged | Critical, R>
) =>
  effect.pipe(
    Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuay(e))),
    Effect.catchTag("Critical", (e) => Effect.fail(retryCritical(e)))
  )

/**
 * regenerate-token: a new token for every robot (push; pull too for a component repository; at once), each Secret
 * rewritten with it, the flag removed, generationTimestamp moved, and the rotation recorded in status before the
 * flag is removed, so a removal that fails cannot rotate twice.
 */
const regenerateToken = (ir: ImageRepository, target: Target, pass: Pass, confirmed: Confirmed) =>
  Effect.gen(function*() {
    if (!asksRegeneration(ir)) return pass
    if (TokenRegeneration.isAnswered(ir)) return patchSpec(pass, clearFlag("regenerate-token"))
    // A robot whose name the identity derives needs no confirmation: only the original controller's does.
    if (roles(target).some((c) => c.robot.proof === "original")) yield* confirmed
    const robots = yield* Effect.forEach(
      roles(target),
      (c) => afterProvisioning(regenerateRobot(ir, target, c)).pipe(Effect.map((robot) => [c, robot] as const)),
      { concurrency: "unbounded" }
    )
    yield* Effect.forEach(
      robots,
      ([c, robot]) => deliverCredentials(ir, target, c, robot).pipe(Effect.mapError(retryCritical)),
      { discard: true }
    )
    const at = yield* now
    yield* Effect.logInfo(`robot tokens of ${target.imageUrl} regenerated`)
    const rotated = TransitionEvent.tokenRotated(robots.map(([c]) => c.robotFullName), robots.map(([c]) => c.secretName))
    return {
      ...patchSpec(withEvent(pass, rotated), clearFlag("regenerate-token")),
      status: TokenRegeneration.record(
        { ...pass.status, credentials: { ...pass.status.credentials, generationTimestamp: at } },
        ir.metadata.generation,
        at
      ),
      succeeded: true,
      secretWritten: true
    }
  })

/**
 * One role's Secret that was deleted or emptied is written again with the robot's current token (read from Quay,
 * not rotated; a robot deleted behind the operator's back is created again). Reading the Secret is the only cost
 * of this check on a converged object.
 */
const repairSecret = (ir: ImageRepository, target: Target, credentials: Credentials, pass: Pass, confirmed: Confirmed) =>
  Effect.gen(function*() {
    if (pass.secretWritten) return pass
    if (deliversThroughRemoteSecrets(yield* ProgramSettings)) {
      // RemoteSecret mode: the RemoteSecret operator owns the Secret; the RemoteSecret is what is repaired.
      const token = Effect.andThen(
        credentials.robot.proof === "original" ? confirmed : Effect.void,
        afterProvisioning(currentRobot(ir, target, credentials))
      )
      const restored = yield* repairRemoteSecret(ir, target, credentials, token).pipe(
        Effect.catchTag("Critical", (e) => Effect.fail(retryCritical(e)))
      )
      return restored ? { ...pass, succeeded: true } : pass
    }
    const kube = yield* Kubernetes
    const secret = yield* kube
      .get(Secret, { namespace: ir.metadata.namespace ?? "", name: credentials.secretName })
      .pipe(Effect.mapError(fromKubernetes))
    const intact = Option.filter(
      secret,
      (s) => RobotSecret.isOwnedBy(s, ir) && RobotSecret.holdsRobot(s, target.imageUrl, credentials.robotFullName)
    )
    if (Option.isSome(intact)) {
      // A Secret the original controller wrote lacks the operator's labels, so the label-scoped informer cannot
      // serve it and every pass would read it from the apiserver: label it once.
      if (!RobotSecret.isLabelled(intact.value)) {
        yield* kube
          .patch(Secret, refOf(intact.value.metadata), {
            metadata: { resourceVersion: intact.value.metadata.resourceVersion, labels: RobotSecret.labels }
          })
          .pipe(Effect.mapError(fromKubernetes))
      }
      return pass
    }
    if (credentials.robot.proof === "original") yield* confirmed
    const robot: QuayRobot = yield* afterProvisioning(currentRobot(ir, target, credentials))
    yield* deliverCredentials(ir, target, credentials, robot).pipe(Effect.mapError(retryCritical))
    yield* Effect.logInfo(`${credentials.role} Secret ${credentials.secretName} restored`)
    // secretWritten stays: it marks a pass that rewrote every role's Secret, and the other roles are still checked.
    const restored = TransitionEvent.secretRestored(credentials.secretName, credentials.robotFullName)
    return { ...withEvent(pass, restored), succeeded: true }
  })

/**
 * Every role's Secret (or RemoteSecret), repaired when it was lost (not in a pass that has just rewritten them all);
 * first, after a switch to Secret mode, what RemoteSecrets deployed is taken back (remoteSecrets.ts).
 */
const repairSecrets = (ir: ImageRepository, target: Target, pass: Pass, confirmed: Confirmed) =>
  Effect.andThen(
    leaveRemoteSecrets(ir, roles(target)),
    Effect.reduce(roles(target), pass, (current, credentials) => repairSecret(ir, target, credentials, current, confirmed))
  )

/** The accounts in the namespace whose lists name the Secret. */
const referencing = (accounts: ReadonlyArray<ServiceAccountObject>, secret: string): ReadonlyArray<string> =>
  accounts
    .filter((sa) => [...(sa.secrets ?? []), ...(sa.imagePullSecrets ?? [])].some((ref) => ref.name === secret))
    .map((sa) => sa.metadata.name)

/**
 * A component repository's push Secret stays linked to its pipeline ServiceAccount. verify-linking checks exactly
 * the links the spec gives: the push Secret listed once in the pipeline account's `secrets` and in no
 * `imagePullSecrets`; the pull Secret (which the spec sends to the Application's environments) linked nowhere
 * here by the operator, so only its duplicate and dangling references go. A Secret that does not exist is unlinked.
 */
const maintainLinks = (ir: ImageRepository, target: Target, pass: Pass) =>
  Effect.gen(function*() {
    const namespace = ir.metadata.namespace ?? ""
    const settings = yield* ProgramSettings
    const targets = pushSecretTargets(ir, settings.pipelineServiceAccount)
    if (!asksLinkVerification(ir)) {
      const linked = yield* Effect.filter(targets, (sa) => linkSecret(namespace, sa, target.secretName))
      return linked.reduce((p, sa) => withEvent(p, TransitionEvent.secretLinked(target.secretName, sa)), pass)
    }
    const kube = yield* Kubernetes
    const accounts = (yield* kube.list(ServiceAccount, { namespace }).pipe(Effect.mapError(fromKubernetes))).items
    const exists = (secret: string) =>
      kube.get(Secret, { namespace, name: secret }).pipe(Effect.map(Option.isSome), Effect.mapError(fromKubernetes))
    const pushExists = yield* exists(target.secretName)
    const fixed = yield* Effect.filter(
      [...new Set([...targets, ...referencing(accounts, target.secretName)])],
      (sa) => verifySecretLinks(namespace, sa, target.secretName, pushExists)
    )
    const pull = target.pull
    if (pull !== undefined) {
      const pullExists = yield* exists(pull.secretName)
      // In RemoteSecret mode the pull Secret is linked to the default account (its RemoteSecret's linkedTo).
      const linked = deliversThroughRemoteSecrets(settings) ? [pullServiceAccount] : []
      fixed.push(
        ...yield* Effect.filter(
          [...new Set([...linked, ...referencing(accounts, pull.secretName)])],
          (sa) =>
            linked.includes(sa)
              ? verifySecretLinks(namespace, sa, pull.secretName, pullExists)
              : verifySecretReferences(namespace, sa, pull.secretName, pullExists)
        )
      )
    }
    const secrets = roles(target).map((c) => c.secretName)
    yield* Effect.logInfo(`links of ${secrets.join(", ")} verified`)
    const fixedAccounts = [...new Set(fixed)]
    const verified = fixedAccounts.length === 0
      ? TransitionEvent.linksVerified(secrets)
      : TransitionEvent.linksFixed(secrets, fixedAccounts)
    return { ...patchSpec(withEvent(pass, verified), clearFlag("verify-linking")), succeeded: true }
  })

/** A finalizer someone removed from a live object is put back, so its deletion still cleans Quay up. */
const keepFinalizer = (ir: ImageRepository, pass: Pass): Pass =>
  hasFinalizer(ir) ? pass : patchSpec(pass, { metadata: { finalizers: [...(ir.metadata.finalizers ?? []), finalizer] } })

/**
 * Writes what the pass decided: the status first, so what was done in Quay (a rotated token, a changed visibility)
 * is recorded even if the spec write then conflicts; then the spec, guarded by the resourceVersion the status write
 * returned. Each only if something changed.
 */
const commit = (ir: ImageRepository, pass: Pass) =>
  Effect.gen(function*() {
    const message =
      pass.warnings.length > 0
        ? pass.warnings.map((w) => w.message).join("; ")
        : pass.succeeded || !ReadyCondition.isTrue(ir.status)
          ? undefined
          : ir.status?.message
    const at = yield* now
    const written = yield* writeStatus(
      pass.written ?? ir,
      settle(
        ir,
        pass.status,
        message,
        message === undefined
          ? { status: "True", reason: ReadyCondition.Reason.Provisioned, message: "Image repository is ready" }
          : { status: "True", reason: ReadyCondition.Reason.ChangeReverted, message },
        at
      ),
      { guarded: true }
    ).pipe(
      Effect.catchTag("Transient", (error) =>
        isRoutineRetry(error) ? Effect.andThen(recordVisibility(pass.written ?? ir, pass.status), Effect.fail(error)) : Effect.fail(error))
    )
    // Right after the status that records them: a pass cut short before it does them again, and records them then.
    yield* Effect.forEach(pass.events, (event) => recordEvent(ir, event), { discard: true })
    if (MergePatch.diff({}, pass.specPatch) !== undefined) {
      const flags = clearedFlags(pass.specPatch)
      yield* patchObject(written, pass.specPatch as { readonly [key: string]: unknown }).pipe(
        // Someone edited the object meanwhile: the reverts are decided again on their version, but the flags
        // this pass acted on are removed now, so a one-shot request is not answered a second time.
        Effect.catchTag("Transient", (error) =>
          isRoutineRetry(error) && flags.length > 0
            ? Effect.andThen(clearFlags(written, flags), Effect.fail(error))
            : Effect.fail(error))
      )
    }
    yield* Effect.forEach(pass.warnings, (w) => recordWarning(ir, w.reason, w.message), { discard: true })
    return done
  })

/**
 * Day-2 operations on a ready object: the name guard, visibility changes, token regeneration, Secret repair,
 * ServiceAccount links and notifications. A converged object passes through with no Quay call and no write. Status fields that
 * named what is not this object's (`damages`) are put back, with their message and Events, in the same write;
 * what only Quay can show is not this object's ends the pass with that field put back and nothing touched.
 */
export const maintain = (ir: ImageRepository, target: Target, damages: ReadonlyArray<StatusDamage> = []) =>
  Effect.flatMap(ProgramSettings, (settings) => {
    const start: Pass = {
      specPatch: {},
      status: withRemoteSecretFields({
        ...StatusClaims.putBack(ir.status, damages, provisionedNames(target)),
        // An object adopted from the original controller has its decision recorded in its first pass here.
        ...(target.component === undefined ? {} : { component: target.component })
      }, target, settings.credentialDelivery),
      succeeded: false,
      warnings: damages.map((d) => ({ reason: statusDamagedReason, message: d.message })),
      events: [],
      secretWritten: false
    }
    const confirm = confirmTarget(ir, target).pipe(Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuay(e))))
    // Converged: only the Secrets are checked (the steps would pass it by), under no span of its own (it costs as much).
    return isQuiet(ir, target, damages, settings)
      ? Effect.flatMap(repairSecrets(ir, target, start, confirm), (repaired) => commit(ir, repaired))
      : steps(ir, target, start, confirm)
  }).pipe(
    // The robot written back is the one the identity derives: the damage may be that status named another.
    Effect.catchTag("StatusDamaged", (damaged) =>
      Effect.flatMap(Quay, (quay) => putBackDamage(ir, [damaged.damage], withDerivedRobot(target, ir, quay))).pipe(
        Effect.as(done)
      ))
  )

/** Every step of a pass, in order, then the one commit. */
const steps = (ir: ImageRepository, target: Target, start: Pass, confirm: Confirmed) =>
  Effect.gen(function*() {
    const confirmed = yield* Effect.cached(confirm)
    // The finalizer patch goes into the pass a reverted rename falls back to, or that revert would drop it.
    const kept = keepFinalizer(ir, start)
    const named = yield* tolerate(kept, guardName(ir, target, kept, confirmed))
    const visible = yield* tolerate(named, applyVisibility(ir, target, named, confirmed))
    const regenerated = yield* regenerateToken(ir, target, visible, confirmed)
    const repaired = yield* repairSecrets(ir, target, regenerated, confirmed)
    const linked = yield* maintainLinks(ir, target, repaired)
    const notified = yield* notificationsStep(ir, target, linked, confirmed)
    return yield* commit(ir, notified)
  }).pipe(Effect.withSpan("maintain", { captureStackTrace: false, attributes: { ...refOf(ir.metadata) } }))
