import { Effect, Option } from "effect"
import type { ImageRepository, ImageRepositoryStatus } from "../domain/ImageRepository.ts"
import * as ReadyCondition from "../domain/ReadyCondition.ts"
import type { Critical, Transient } from "../domain/ReconcileError.ts"
import { now } from "../domain/Timestamp.ts"
import { done } from "../services/ReconcileResult.ts"
import { refOf } from "../domain/ObjectMeta.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { imageRepositoryKindOf } from "../services/ResourceKind.ts"
import { fromKubernetes } from "./errors.ts"
import { writeStatus } from "./ImageRepositoryWrites.ts"
import { recordProvisionFailed } from "./provisionMetrics.ts"
import { recordWarning } from "./recordEvent.ts"

const withoutMessage = (status: ImageRepositoryStatus | undefined): ImageRepositoryStatus => {
  const { message: _message, ...rest } = status ?? {}
  return rest
}

/** A status with this message (none when undefined) and the Ready condition it implies. */
export const settle = (
  ir: ImageRepository,
  status: ImageRepositoryStatus,
  message: string | undefined,
  ready: { readonly status: "True" | "False"; readonly reason: string; readonly message: string },
  at: string
): ImageRepositoryStatus =>
  ReadyCondition.apply(
    message === undefined ? withoutMessage(status) : { ...status, message },
    ready,
    ir.metadata.generation,
    at
  )

/**
 * Critical: the object is failed with the message, and left alone until it is recreated. When nothing was created
 * in Quay the recorded image is dropped, so the failed object shows no URL of a repository that does not exist.
 * The Event goes first: a failed object is never visited again, so an Event after the status write would be lost
 * for good if the pass were cut short (a lost Lease) in between; a status write that fails repeats it instead.
 */
export const markFailed = (ir: ImageRepository, error: Critical, options: { readonly nothingCreated?: boolean } = {}) =>
  Effect.gen(function*() {
    const at = yield* now
    const { image: _image, ...withoutImage } = ir.status ?? {}
    const status = options.nothingCreated === true ? withoutImage : (ir.status ?? {})
    yield* recordWarning(ir, error.reason, error.message)
    yield* writeStatus(
      ir,
      settle(ir, { ...status, state: "failed" }, error.message, {
        status: "False",
        reason: error.reason,
        message: error.message
      }, at)
    )
    yield* recordProvisionFailed(ir)
    yield* Effect.logWarning(`failed: ${error.message}`)
    return done
  })

/**
 * Transient: the message is shown while the operation is retried; state is kept (never failed). An identical
 * message is not written again, so a failing retry loop costs no status writes. It is written on the object as
 * it is now, not as the failed pass read it: that pass may have recorded something first (a rotation), and
 * conditions are one list that a merge patch replaces whole.
 */
export const recordTransient = (ir: ImageRepository, error: Transient) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const latest = yield* kube.get(imageRepositoryKindOf(ir), refOf(ir.metadata)).pipe(Effect.mapError(fromKubernetes))
    if (Option.isNone(latest)) return
    const current = latest.value
    const at = yield* now
    yield* writeStatus(
      current,
      settle(current, current.status ?? {}, error.message, { status: "False", reason: error.reason, message: error.message }, at)
    )
  })
