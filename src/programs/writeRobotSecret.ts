import { Effect, Option } from "effect"
import { ownerKindOf } from "../domain/ImageRepositoryGroup.ts"
import * as MergePatch from "../domain/MergePatch.ts"
import { type ObjectMeta, type OwnerKind, refOf } from "../domain/ObjectMeta.ts"
import * as RobotSecret from "../domain/RobotSecret.ts"
import { Critical } from "../domain/ReconcileError.ts"
import { dockerConfigJsonType } from "../domain/Secret.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { QuayRobot } from "../services/Quay.ts"
import { Secret } from "../services/ResourceKind.ts"
import { isKubernetesError } from "../services/KubernetesError.ts"
import { fromKubernetes } from "./errors.ts"
import type { Credentials } from "./Target.ts"

/**
 * Creates or updates a role's Secret (push, or a component repository's pull Secret) so it holds exactly this
 * robot's credentials for the image path; writes nothing when it already does. A Secret of that name that this
 * object (an ImageRepository unless `kind` says otherwise) does not own is left untouched. The one Secret writer,
 * for ImageRepositories and for the legacy Component flow.
 */
export const writeRobotSecret = (
  ir: { readonly apiVersion?: string | undefined; readonly metadata: ObjectMeta },
  imageUrl: string,
  credentials: Pick<Credentials, "role" | "secretName">,
  robot: Pick<QuayRobot, "name" | "token">,
  kind: OwnerKind = ownerKindOf(ir)
) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const desired = RobotSecret.make(ir, {
      name: credentials.secretName,
      imagePath: imageUrl,
      username: robot.name,
      token: robot.token
    }, kind)
    const existing = yield* kube.get(Secret, refOf(desired.metadata))
    if (Option.isNone(existing)) {
      yield* kube.create(Secret, desired)
      return
    }
    const secret = existing.value
    if (!RobotSecret.isOwnedBy(secret, ir) && RobotSecret.isLeftByPredecessor(secret, ir, kind)) {
      // Its owner is gone (this object has its name and another uid): replace it rather than wait for GC.
      yield* kube.delete(Secret, refOf(secret.metadata), { preconditions: { uid: secret.metadata.uid ?? "" } })
      yield* kube.create(Secret, desired)
      return
    }
    if (!RobotSecret.isOwnedBy(secret, ir)) {
      return yield* new Critical({
        reason: "SecretNameTaken",
        message: `Secret '${credentials.secretName}' already exists and is not owned by this ${kind.kind}`
      })
    }
    if (secret.type !== dockerConfigJsonType) {
      // A Secret's type is immutable: replace the object.
      yield* kube.delete(Secret, refOf(secret.metadata), { preconditions: { uid: secret.metadata.uid ?? "" } })
      yield* kube.create(Secret, desired)
      return
    }
    if (MergePatch.equal(secret.data, desired.data)) return
    yield* kube.patch(Secret, refOf(secret.metadata), {
      metadata: { resourceVersion: secret.metadata.resourceVersion, labels: desired.metadata.labels },
      data: desired.data
    })
  }).pipe(
    Effect.catchIf(isKubernetesError, (e) => Effect.fail(fromKubernetes(e))),
    Effect.withSpan("writeRobotSecret", { captureStackTrace: false, attributes: { role: credentials.role, secret: credentials.secretName } })
  )
