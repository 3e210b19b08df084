import { setCondition } from "./Condition.ts"
import type { ImageRepositoryStatus } from "./ImageRepository.ts"

export const type = "Ready"

/** Reasons the Ready condition can carry; one CamelCase word each, as API conventions ask. */
export const Reason = {
  Provisioned: "Provisioned",
  ChangeReverted: "ChangeReverted",
  Provisioning: "Provisioning"
} as const

/** The status with its Ready condition set from state and message, for the generation this reconcile observed. */
export const apply = (
  status: ImageRepositoryStatus,
  ready: { readonly status: "True" | "False"; readonly reason: string; readonly message: string },
  generation: number | undefined,
  now: string
): ImageRepositoryStatus => ({
  ...status,
  ...(generation === undefined ? {} : { observedGeneration: generation }),
  conditions: setCondition(
    status.conditions,
    { type, ...ready, ...(generation === undefined ? {} : { observedGeneration: generation }) },
    now
  )
})

export const isTrue = (status: ImageRepositoryStatus | undefined): boolean =>
  (status?.conditions ?? []).some((c) => c.type === type && c.status === "True")
