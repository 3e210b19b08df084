import { Effect, Option } from "effect"
import * as DockerConfig from "../domain/DockerConfig.ts"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import {
  clusterIdentityNamespace,
  namespaceImagePath,
  namespacePullEnsuredAnnotation,
  namespacePullSecretName,
  namespaceRobotDescription,
  namespaceRobotShortName
} from "../domain/NamespacePull.ts"
import { Transient } from "../domain/ReconcileError.ts"
import { robotFullName } from "../domain/RobotName.ts"
import * as RobotSecret from "../domain/RobotSecret.ts"
import { dockerConfigJsonKey, dockerConfigJsonType } from "../domain/Secret.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { ProgramSettings } from "../services/ProgramSettings.ts"
import { Quay, type QuayRobot } from "../services/Quay.ts"
import { isQuayError } from "../services/QuayError.ts"
import { done } from "../services/ReconcileResult.ts"
import { Namespace, Secret } from "../services/ResourceKind.ts"
import { fromKubernetes, fromQuay } from "./errors.ts"
import { patchObject } from "./ImageRepositoryWrites.ts"
import { confirmTarget } from "./ownership.ts"
import { linkSecret } from "./serviceAccountLinks.ts"
import type { Target } from "./Target.ts"

/**
 * The original controller's namespace pull robot, behind NAMESPACE_PULL_SECRET (ProgramSettings): see
 * domain/NamespacePull.ts. Shared by the namespace's objects, so it is never deleted with one of them; only its
 * read grant on a repository goes with the object that asked for it.
 */

/** The namespace robot's short name in this cluster: one read of kube-system, as the original reads it. */
export const namespaceRobot = (namespace: string) =>
  Effect.flatMap(Kubernetes, (kube) => kube.get(Namespace, { namespace: "", name: clusterIdentityNamespace })).pipe(
    Effect.mapError(fromKubernetes),
    Effect.flatMap(Option.match({
      onNone: () =>
        Effect.fail(new Transient({ reason: "ClusterIdentity", message: `Namespace ${clusterIdentityNamespace} cannot be read` })),
      onSome: (found) => Effect.succeed(namespaceRobotShortName(namespace, found.metadata.uid ?? ""))
    }))
  )

/** Whether the namespace pull step has anything to do for this object. */
export const needsNamespacePull = (ir: ImageRepository): boolean =>
  ir.metadata.annotations?.[namespacePullEnsuredAnnotation] !== "true" ||
  ir.spec?.credentials?.["regenerate-namespace-pull-token"] === true

/** Whether this object's repository was granted to the namespace robot (by the original or by this operator). */
export const isNamespaceGranted = (ir: ImageRepository): boolean =>
  ir.metadata.annotations?.[namespacePullEnsuredAnnotation] === "true"

const getOrCreateRobot = (shortName: string) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const found = yield* quay.getRobot(shortName)
    if (Option.isSome(found)) return found.value
    return yield* quay.createRobot(shortName, namespaceRobotDescription).pipe(
      Effect.catchTag("QuayRobotAlreadyExists", () =>
        Effect.flatMap(quay.getRobot(shortName), Option.match({
          onNone: () => Effect.fail(new Transient({ reason: "RobotRace", message: `robot ${shortName} vanished; retrying` })),
          onSome: Effect.succeed
        })))
    )
  })

/** `components-namespace-pull`: no owner (shared), the operator's labels, the robot's credentials for the namespace. */
const writeNamespaceSecret = (namespace: string, imagePath: string, robot: Pick<QuayRobot, "name" | "token">) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const data = { [dockerConfigJsonKey]: Buffer.from(DockerConfig.render(imagePath, robot.name, robot.token)).toString("base64") }
    const ref = { namespace, name: namespacePullSecretName }
    const found = yield* kube.get(Secret, ref)
    if (Option.isNone(found)) {
      yield* kube.create(Secret, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: namespacePullSecretName, namespace, labels: RobotSecret.labels },
        type: dockerConfigJsonType,
        data
      })
      return
    }
    if (found.value.data?.[dockerConfigJsonKey] === data[dockerConfigJsonKey]) return
    yield* kube.patch(Secret, ref, { metadata: { resourceVersion: found.value.metadata.resourceVersion }, data })
  }).pipe(Effect.mapError(fromKubernetes))

/**
 * What the original does for an object whose repository is not yet granted to the namespace robot, or that asks
 * for `regenerate-namespace-pull-token`: the robot (created when missing), its read grant on this object's
 * repository (confirmed to be this object's first), the Secret, for a component repository its link to the
 * pipeline ServiceAccount, and then the annotation set and the flag removed in one write (which wakes the object
 * again for its maintenance pass).
 */
export const ensureNamespacePull = (ir: ImageRepository, target: Target) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const namespace = ir.metadata.namespace ?? ""
    const shortName = yield* namespaceRobot(namespace)
    const regenerate = ir.spec?.credentials?.["regenerate-namespace-pull-token"] === true
    const robot = regenerate
      ? yield* Effect.andThen(getOrCreateRobot(shortName), quay.regenerateRobotToken(shortName))
      : yield* getOrCreateRobot(shortName)
    if (!isNamespaceGranted(ir)) {
      yield* confirmTarget(ir, target)
      yield* quay.setPermission(target.repository, robot.name, "read")
    }
    yield* writeNamespaceSecret(namespace, namespaceImagePath(quay.registryHost, quay.organization, namespace), robot)
    const settings = yield* ProgramSettings
    yield* Effect.forEach(
      pushSecretTargets(ir, settings.pipelineServiceAccount),
      (sa) => linkSecret(namespace, sa, namespacePullSecretName),
      { discard: true }
    )
    yield* patchObject(ir, {
      metadata: { annotations: { [namespacePullEnsuredAnnotation]: "true" } },
      ...(regenerate ? { spec: { credentials: { "regenerate-namespace-pull-token": null } } } : {})
    })
    yield* Effect.logInfo(regenerate ? "namespace pull token regenerated" : "namespace pull robot ensured")
    return done
  }).pipe(
    Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuay(e))),
    Effect.withSpan("ensureNamespacePull", { captureStackTrace: false })
  )

/**
 * The namespace robot's read grant on a repository that stays in Quay after its object is deleted (kept by the
 * skip-repository-deletion annotation): it goes, as the original removes it. A kube-system that cannot be read
 * leaves it (said in the log): the grant is read-only access for the same tenant.
 */
export const revokeNamespaceGrant = (ir: ImageRepository, repository: string) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const shortName = yield* namespaceRobot(ir.metadata.namespace ?? "").pipe(Effect.option)
    if (Option.isNone(shortName)) {
      return yield* Effect.logWarning(`cleanup: the namespace robot's grant on ${repository} is left: kube-system cannot be read`)
    }
    yield* quay.deletePermission(repository, robotFullName(quay.organization, shortName.value)).pipe(
      Effect.catchTag("QuayNotFound", () => Effect.void)
    )
  })
