/**
 * RemoteSecret mode: each role's credentials go to a RemoteSecret `<object>-image-push` / `-image-pull` owned by the
 * ImageRepository, whose token is handed over through an upload Secret; the RemoteSecret operator deploys the Secret
 * of the same name to every target and links it. In Secret mode the operator writes that Secret itself, taking back
 * one a RemoteSecret deployed for this object and retiring the object's RemoteSecrets, so switching modes either way
 * never leaves the namespace without a working Secret.
 *
 * Every name here is the one the object's identity derives (`Target`), never one read from status, and every object
 * is touched only when this ImageRepository owns it (or, for a deployed Secret, when the RemoteSecret that deployed
 * it is this object's).
 */
import { Effect, Option } from "effect"
import { applicationLabel, componentLabel } from "../domain/ComponentRepository.ts"
import * as Environment from "../domain/Environment.ts"
import type { ImageRepository, ImageRepositoryStatus } from "../domain/ImageRepository.ts"
import { ownerKind as imageRepositoryKind } from "../domain/ImageRepository.ts"
import * as MergePatch from "../domain/MergePatch.ts"
import { refOf } from "../domain/ObjectMeta.ts"
import { Critical, Transient } from "../domain/ReconcileError.ts"
import * as RemoteSecretDomain from "../domain/RemoteSecret.ts"
import * as RobotSecret from "../domain/RobotSecret.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { isKubernetesError } from "../services/KubernetesError.ts"
import { type CredentialDelivery, ProgramSettings } from "../services/ProgramSettings.ts"
import type { QuayRobot } from "../services/Quay.ts"
import { Environment as EnvironmentKind, RemoteSecret, Secret } from "../services/ResourceKind.ts"
import { fromKubernetes } from "./errors.ts"
import type { Credentials, Target } from "./Target.ts"
import { roles } from "./Target.ts"
import { writeRobotSecret } from "./writeRobotSecret.ts"

/** The ServiceAccount a component repository's pull Secret is linked to in each target, as the original did. */
export const pullServiceAccount = "default"

export const deliversThroughRemoteSecrets = (settings: { readonly credentialDelivery?: CredentialDelivery | undefined }) =>
  settings.credentialDelivery === "remote-secrets"

const remoteSecretField = (role: Credentials["role"]) => `${role}-remote-secret` as const

/**
 * status.credentials with the RemoteSecret fields the mode gives: `push-remote-secret` (and a component
 * repository's `pull-remote-secret`) next to the Secret fields, each the same name; none in Secret mode.
 */
export const withRemoteSecretFields = (
  status: ImageRepositoryStatus,
  target: Target,
  delivery: CredentialDelivery | undefined
): ImageRepositoryStatus => {
  if (delivery !== "remote-secrets") {
    if (status.credentials === undefined) return status
    const { "pull-remote-secret": _pull, "push-remote-secret": _push, ...rest } = status.credentials
    return _pull === undefined && _push === undefined ? status : { ...status, credentials: rest }
  }
  const fields = Object.fromEntries(roles(target).map((c) => [remoteSecretField(c.role), c.secretName]))
  return { ...status, credentials: { ...status.credentials, ...fields } }
}

/**
 * Where a component repository's pull Secret goes besides its own namespace: every Environment of the namespace that
 * serves its Application (domain/Environment.ts). A cluster without the Environment API has none.
 */
export const environmentTargets = (namespace: string, application: string) =>
  Effect.flatMap(Kubernetes, (kube) => kube.list(EnvironmentKind, { namespace })).pipe(
    Effect.map((listed) =>
      listed.items.filter((e) => Environment.servesApplication(e, application)).map(Environment.targetOf)
    ),
    Effect.catchTag("KubernetesNotFound", () => Effect.succeed([])),
    Effect.mapError(fromKubernetes),
    Effect.withSpan("remoteSecrets.environmentTargets", { captureStackTrace: false, attributes: { namespace, application } })
  )

/** What the role's RemoteSecret must say. */
export const desiredRemoteSecret = (ir: ImageRepository, target: Target, credentials: Credentials) =>
  Effect.gen(function*() {
    const namespace = ir.metadata.namespace ?? ""
    const own = { namespace }
    if (credentials.role === "push") {
      const settings = yield* ProgramSettings
      return {
        name: credentials.secretName,
        linkedTo: pushSecretTargets(ir, settings.pipelineServiceAccount),
        targets: [own],
        labels: {}
      } satisfies RemoteSecretDomain.Desired
    }
    const component = target.component
    const environments = component === undefined ? [] : yield* environmentTargets(namespace, component.application)
    return {
      name: credentials.secretName,
      linkedTo: [pullServiceAccount],
      targets: RemoteSecretDomain.distinctTargets([own, ...environments]),
      // The labels the era's SnapshotEnvironmentBinding controller selected pull RemoteSecrets by.
      labels: component === undefined ? {} : { [applicationLabel]: component.application, [componentLabel]: component.name }
    } satisfies RemoteSecretDomain.Desired
  })

/**
 * The role's RemoteSecret as it must be: created when missing (then it holds no token yet: `created`), its spec
 * put right when someone changed it or an Environment came or went. One of that name the object does not own is
 * left alone (an earlier object's of the same name is replaced, as garbage collection would remove it anyway).
 */
export const ensureRemoteSecret = (ir: ImageRepository, target: Target, credentials: Credentials) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const desired = yield* desiredRemoteSecret(ir, target, credentials)
    const ref = { namespace: ir.metadata.namespace ?? "", name: desired.name }
    const existing = yield* kube.get(RemoteSecret, ref)
    if (Option.isSome(existing) && !RemoteSecretDomain.isOwnedBy(existing.value, ir)) {
      if (!RobotSecret.isLeftByPredecessor(existing.value, ir, imageRepositoryKind)) {
        return yield* new Critical({
          reason: "RemoteSecretNameTaken",
          message: `RemoteSecret '${desired.name}' already exists and is not owned by this ImageRepository`
        })
      }
      yield* kube.delete(RemoteSecret, ref, { preconditions: { uid: existing.value.metadata.uid ?? "" } })
    }
    if (Option.isNone(existing) || !RemoteSecretDomain.isOwnedBy(existing.value, ir)) {
      yield* kube.create(RemoteSecret, RemoteSecretDomain.make(ir, desired))
      yield* Effect.logInfo(`RemoteSecret ${desired.name} created`)
      return "created" as const
    }
    const current = existing.value
    const labelsRight = Object.entries(desired.labels).every(([k, v]) => current.metadata.labels?.[k] === v)
    if (!RemoteSecretDomain.conforms(current, desired) || !labelsRight) {
      yield* kube.patch(RemoteSecret, ref, {
        metadata: { resourceVersion: current.metadata.resourceVersion, labels: desired.labels },
        spec: RemoteSecretDomain.specOf(desired)
      })
      yield* Effect.logInfo(`RemoteSecret ${desired.name} updated (its targets or links)`)
    }
    return "present" as const
  }).pipe(
    Effect.catchIf(isKubernetesError, (e) => Effect.fail(fromKubernetes(e))),
    Effect.withSpan("remoteSecrets.ensure", { captureStackTrace: false, attributes: { role: credentials.role, remoteSecret: credentials.secretName } })
  )

/**
 * Hands the robot's token to the role's RemoteSecret through the RemoteSecret operator's upload Secret
 * (`upload-secret-<name>`, consumed and deleted by it). One still waiting from an earlier upload is overwritten, so
 * the newest token wins; one of that name the object does not own is waited out.
 */
export const uploadToken = (
  ir: ImageRepository,
  imageUrl: string,
  credentials: Pick<Credentials, "role" | "secretName">,
  robot: Pick<QuayRobot, "name" | "token">
) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const desired = RemoteSecretDomain.uploadSecret(ir, credentials.secretName, {
      imagePath: imageUrl,
      username: robot.name,
      token: robot.token
    })
    const ref = refOf(desired.metadata)
    const existing = yield* kube.get(Secret, ref)
    if (Option.isNone(existing)) {
      yield* kube.create(Secret, desired)
      return
    }
    if (!RemoteSecretDomain.isOwnedBy(existing.value, ir)) {
      return yield* new Transient({
        reason: "UploadSecretPending",
        message: `upload Secret '${desired.metadata.name}' is not this ImageRepository's; waiting for the RemoteSecret operator to consume it`
      })
    }
    if (MergePatch.equal(existing.value.data, desired.data)) return
    yield* kube.patch(Secret, ref, { metadata: { resourceVersion: existing.value.metadata.resourceVersion }, data: desired.data })
  }).pipe(
    Effect.catchIf(isKubernetesError, (e) => Effect.fail(fromKubernetes(e))),
    Effect.withSpan("remoteSecrets.upload", { captureStackTrace: false, attributes: { role: credentials.role, remoteSecret: credentials.secretName } })
  )

/**
 * Secret mode: a Secret of the role's name that this object's RemoteSecret deployed is taken back: the RemoteSecret
 * operator's marks go (so retiring the RemoteSecret does not delete it) and this object's owner reference and labels
 * come (so `writeRobotSecret` keeps it). Only when the RemoteSecret it names is gone or this object's.
 */
const takeBackDeployedSecret = (ir: ImageRepository, credentials: Pick<Credentials, "secretName">) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const namespace = ir.metadata.namespace ?? ""
    const found = yield* kube.get(Secret, { namespace, name: credentials.secretName })
    if (Option.isNone(found) || !RemoteSecretDomain.isDeployedBy(found.value, namespace, credentials.secretName)) return
    const secret = found.value
    const manager = yield* kube.get(RemoteSecret, { namespace, name: credentials.secretName }).pipe(
      Effect.catchTag("KubernetesNotFound", () => Effect.succeed(Option.none()))
    )
    if (Option.isSome(manager) && !RemoteSecretDomain.isOwnedBy(manager.value, ir)) return
    const owners = secret.metadata.ownerReferences ?? []
    yield* kube.patch(Secret, refOf(secret.metadata), {
      metadata: {
        resourceVersion: secret.metadata.resourceVersion,
        labels: { ...RemoteSecretDomain.releaseMarks.metadata.labels, ...RobotSecret.labels },
        annotations: RemoteSecretDomain.releaseMarks.metadata.annotations,
        ...(RobotSecret.isOwnedBy(secret, ir) ? {} : { ownerReferences: [...owners, ownerReferenceTo(ir)] })
      }
    })
    yield* Effect.logInfo(`Secret ${credentials.secretName} taken back from its RemoteSecret`)
  })

/** The push and pull Secrets' owner reference (as RobotSecret.make writes it). */
const ownerReferenceTo = (ir: ImageRepository) => ({
  apiVersion: imageRepositoryKind.apiVersion,
  kind: imageRepositoryKind.kind,
  name: ir.metadata.name,
  uid: ir.metadata.uid ?? "",
  controller: true,
  blockOwnerDeletion: true
})

/** Secret mode on a cluster that serves RemoteSecrets: the object's RemoteSecret of the role goes. */
const retireRemoteSecret = (ir: ImageRepository, credentials: Pick<Credentials, "secretName">) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const ref = { namespace: ir.metadata.namespace ?? "", name: credentials.secretName }
    const found = yield* kube.get(RemoteSecret, ref)
    if (Option.isNone(found) || !RemoteSecretDomain.isOwnedBy(found.value, ir)) return
    yield* kube.delete(RemoteSecret, ref, { preconditions: { uid: found.value.metadata.uid ?? "" } })
    yield* Effect.logInfo(`RemoteSecret ${credentials.secretName} retired: its Secret is written directly`)
  }).pipe(Effect.catchTag("KubernetesNotFound", () => Effect.void))

/**
 * Secret mode where RemoteSecrets are served (the operator was switched from RemoteSecret mode): for each role, the
 * deployed Secret is taken back, then the object's RemoteSecret retired. Costs a read per role when there is none.
 */
export const leaveRemoteSecrets = (ir: ImageRepository, roleCredentials: ReadonlyArray<Pick<Credentials, "secretName">>) =>
  Effect.flatMap(ProgramSettings, (settings) =>
    // Decided before the span: every pass of every object in Secret mode asks, and nearly always nothing is to do.
    deliversThroughRemoteSecrets(settings) || settings.remoteSecretsServed !== true
      ? Effect.void
      : Effect.forEach(
        roleCredentials,
        (credentials) => Effect.andThen(takeBackDeployedSecret(ir, credentials), retireRemoteSecret(ir, credentials)),
        { discard: true }
      ).pipe(
        Effect.catchIf(isKubernetesError, (e) => Effect.fail(fromKubernetes(e))),
        Effect.withSpan("remoteSecrets.leave", { captureStackTrace: false })
      ))

/**
 * Delivers a role's robot credentials the way the mode says: a RemoteSecret and its upload Secret, or the Secret
 * itself (after `leaveRemoteSecrets`, where RemoteSecrets are served).
 */
export const deliverCredentials = (
  ir: ImageRepository,
  target: Target,
  credentials: Credentials,
  robot: Pick<QuayRobot, "name" | "token">
) =>
  Effect.gen(function*() {
    const settings = yield* ProgramSettings
    if (deliversThroughRemoteSecrets(settings)) {
      yield* ensureRemoteSecret(ir, target, credentials)
      yield* uploadToken(ir, target.imageUrl, credentials, robot)
      return
    }
    // A Secret this object's RemoteSecret deployed is taken back even where the API is gone (then no RemoteSecret
    // can still manage it); the RemoteSecret itself is retired where it is served.
    yield* takeBackDeployedSecret(ir, credentials).pipe(Effect.catchIf(isKubernetesError, (e) => Effect.fail(fromKubernetes(e))))
    yield* leaveRemoteSecrets(ir, [credentials])
    yield* writeRobotSecret(ir, target.imageUrl, credentials, robot)
  })

/**
 * RemoteSecret mode's repair: the role's RemoteSecret exists and says what it must; one that had to be created gets
 * the robot's current token (`currentToken`, read from Quay, not rotated). Whether it was restored.
 */
export const repairRemoteSecret = <E, R>(
  ir: ImageRepository,
  target: Target,
  credentials: Credentials,
  currentToken: Effect.Effect<Pick<QuayRobot, "name" | "token">, E, R>
) =>
  Effect.gen(function*() {
    const state = yield* ensureRemoteSecret(ir, target, credentials)
    if (state === "present") return false
    const robot = yield* currentToken
    yield* uploadToken(ir, target.imageUrl, credentials, robot)
    yield* Effect.logInfo(`${credentials.role} RemoteSecret ${credentials.secretName} restored`)
    return true
  })
