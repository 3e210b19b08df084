import { Effect } from "effect"
import type { ImageRepository, ImageRepositoryStatus } from "../domain/ImageRepository.ts"
import * as ReadyCondition from "../domain/ReadyCondition.ts"
import type { Critical, Transient } from "../domain/ReconcileError.ts"
import { now } from "../domain/Timestamp.ts"
import { done } from "../services/ReconcileResult.ts"
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
 */
export const markFailed = (ir: ImageRepository, error: Critical, options: { readonly nothingCreated?: boolean } = {}) =>
  Effect.gen(function*() {
    const at = yield* now
    const { image: _image, ...withoutImage } = ir.status ?? {}
    const status = options.nothingCreated === true ? withoutImage : (ir.status ?? {})
    yield* writeStatus(
      ir,
      settle(ir, { ...status, state: "failed" }, error.message, {
        status: "False",
        reason: error.reason,
        message: error.message
      }, at)
    )
    yield* recordWarning(ir, error.reason, error.message)
    yield* recordProvisionFailed(ir)
    yield* Effect.logWarning(`failed: ${error.message}`)
    return done
  })

/**
 * Transient: the message is shown while the operation is retried; state is kept (never failed). An identical
 * message is not written again, so a failing retry loop costs no status writes.
 */
export const recordTransient = (ir: ImageRepository, error: Transient) =>
  Effect.gen(function*() {
    const at = yield* now
    yield* writeStatus(
      ir,
      settle(ir, ir.status ?? {}, error.message, { status: "False", reason: error.reason, message: error.message }, at)
    )
  })
