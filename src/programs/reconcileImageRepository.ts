import { Effect, Option } from "effect"
import { type ImageRepository, isDeleting, isFailed } from "../domain/ImageRepository.ts"
import type { ObjectRef } from "../domain/ObjectMeta.ts"
import type { Transient } from "../domain/ReconcileError.ts"
import { done, type ReconcileResult } from "../services/ReconcileResult.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { ProgramSettings } from "../services/ProgramSettings.ts"
import { Quay } from "../services/Quay.ts"
import { ImageRepository as ImageRepositoryKind, type ResourceKind } from "../services/ResourceKind.ts"
import { cleanup } from "./cleanup.ts"
import { fromKubernetes, isRoutineRetry } from "./errors.ts"
import { maintain } from "./maintain.ts"
import { updateComponentImage, wantsComponentImage } from "./updateComponentImage.ts"
import { ensureNamespacePull, needsNamespacePull } from "./namespacePull.ts"
import { provision } from "./provision.ts"
import { recoverRepository } from "./recoverRepository.ts"
import { recordTransient } from "./statusTransitions.ts"
import * as Target from "./Target.ts"

/** Which program an object needs, decided from what it is now (level-triggered): never from the event that woke it. */
const reconcileObject = (found: ImageRepository) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    if (isFailed(found) && !isDeleting(found)) return done
    // What status names is checked against the object's identity before anything acts on it; a repository
    // status lost is recorded again first, so neither provisioning nor deletion goes by a renamed spec.
    const { ir, damages } = yield* recoverRepository(
      found,
      Target.inspect(found, quay).damages,
      (recovered) => Target.inspect(recovered, quay).damages
    )
    if (isDeleting(ir)) return yield* cleanup(ir, damages)
    const recorded = Target.recorded(ir, quay)
    if (ir.status?.state !== "ready" || Option.isNone(recorded)) return yield* provision(ir, damages)
    if (wantsComponentImage(ir, recorded.value) && (yield* updateComponentImage(ir, recorded.value))) return done
    const settings = yield* ProgramSettings
    if (settings.namespacePullSecret === true && needsNamespacePull(ir)) {
      return yield* ensureNamespacePull(ir, recorded.value).pipe(
        // Maintenance reports and puts back what status named that is not this object's.
        Effect.catchTag("StatusDamaged", () => maintain(ir, recorded.value, damages)),
        Effect.catchTag("RepositoryMissing", () => provision(ir, damages))
      )
    }
    // A repository deleted behind the operator's back is provisioned again, under its recorded name.
    return yield* maintain(ir, recorded.value, damages).pipe(
      Effect.catchTag("RepositoryMissing", () => provision(ir, damages))
    )
  })

/**
 * Reconciles one ImageRepository: the only entry point the controller runtime calls. Fails only with Transient
 * (retry with backoff); critical and non-critical outcomes are written to the object's status. `kind` is the API
 * group's ImageRepository kind the controller serves (the original group's by default); everything after the read
 * follows the object's own group.
 */
export const reconcileImageRepository = (
  ref: ObjectRef,
  kind: ResourceKind<ImageRepository, typeof ImageRepositoryKind.schema.Encoded> = ImageRepositoryKind
): Effect.Effect<ReconcileResult, Transient, Quay | Kubernetes> =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const found = yield* kube.get(kind, ref).pipe(Effect.mapError(fromKubernetes))
    if (Option.isNone(found)) return done
    const ir = found.value
    return yield* reconcileObject(ir).pipe(
      Effect.catchTag("ObjectGone", () => Effect.succeed(done)),
      Effect.tapError((error) =>
        isDeleting(ir) || isRoutineRetry(error)
          ? Effect.void
          : recordTransient(ir, error).pipe(
            Effect.catchTag("ObjectGone", () => Effect.void),
            // The reconcile is retried anyway; the user just does not see why yet, so say so in the log.
            Effect.catchAll((written) =>
              Effect.logWarning(`could not write the status message '${error.message}': ${written.message}`)
            )
          )
      )
    )
  }).pipe(
    Effect.annotateLogs({ namespace: ref.namespace, name: ref.name }),
    Effect.withSpan("reconcileImageRepository", { captureStackTrace: false, attributes: { namespace: ref.namespace, name: ref.name } })
  )
