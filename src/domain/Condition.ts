import { Schema } from "effect"

/** metav1.Condition. */
export const Condition = Schema.Struct({
  type: Schema.String,
  status: Schema.Literal("True", "False", "Unknown"),
  reason: Schema.String,
  message: Schema.String,
  lastTransitionTime: Schema.String,
  observedGeneration: Schema.optional(Schema.Number)
})
export type Condition = typeof Condition.Type

/**
 * Sets a condition the way apimachinery's meta.SetStatusCondition does: lastTransitionTime moves only
 * when status flips, so an unchanged condition compares equal and costs no status write.
 */
export const setCondition = (
  conditions: ReadonlyArray<Condition> | undefined,
  next: Omit<Condition, "lastTransitionTime">,
  now: string
): ReadonlyArray<Condition> => {
  const current = (conditions ?? []).find((c) => c.type === next.type)
  const lastTransitionTime = current !== undefined && current.status === next.status ? current.lastTransitionTime : now
  const updated: Condition = { ...next, lastTransitionTime }
  return current === undefined
    ? [...(conditions ?? []), updated]
    : (conditions ?? []).map((c) => (c.type === next.type ? updated : c))
}
