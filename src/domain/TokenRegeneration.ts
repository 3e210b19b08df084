import { setCondition } from "./Condition.ts"
import type { ImageRepository, ImageRepositoryStatus } from "./ImageRepository.ts"

/**
 * regenerate-token is one-shot: it must rotate once per request even when removing the flag from spec fails
 * after the rotation (a conflict with a user's edit, an apiserver error, a crash). The rotation is recorded in
 * status first, as a condition carrying the generation whose flag it answered; the flag still set at that same
 * generation is that request, already answered. A request made after the flag was removed comes at a later
 * generation (removing it moved the generation on) and rotates again.
 */
export const conditionType = "TokenRegenerated"

export const isAnswered = (ir: ImageRepository): boolean =>
  ir.metadata.generation !== undefined &&
  (ir.status?.conditions ?? []).some(
    (c) => c.type === conditionType && c.status === "True" && c.observedGeneration === ir.metadata.generation
  )

/** The status with the rotation recorded for `generation`. */
export const record = (status: ImageRepositoryStatus, generation: number | undefined, at: string): ImageRepositoryStatus => ({
  ...status,
  conditions: setCondition(
    status.conditions,
    {
      type: conditionType,
      status: "True",
      reason: "Regenerated",
      message: "The push robot's token was regenerated as spec.credentials.regenerate-token asked",
      ...(generation === undefined ? {} : { observedGeneration: generation })
    },
    at
  )
})
