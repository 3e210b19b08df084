/** Builds a `Figure`: its ratios to the limit and the original, its target's text and whether it is met. */
import type { Figure, Target } from "./Scenario.ts"

export const ratioToLimitAtMost = (factor: number): Target => ({ _tag: "RatioToLimitAtMost", factor })
export const ratioToLimitAtLeast = (factor: number): Target => ({ _tag: "RatioToLimitAtLeast", factor })
export const atLeast = (value: number): Target => ({ _tag: "AtLeast", value })
export const atMost = (value: number): Target => ({ _tag: "AtMost", value })
export const ratioToOriginalAtMost = (factor: number): Target => ({ _tag: "RatioToOriginalAtMost", factor })

const targetText = (target: Target, unit: string): string => {
  switch (target._tag) {
    case "RatioToLimitAtMost":
      return `≤ ${target.factor} × limit`
    case "RatioToLimitAtLeast":
      return `≥ ${target.factor} × limit`
    case "AtLeast":
      return `≥ ${target.value} ${unit}`
    case "AtMost":
      return `≤ ${target.value} ${unit}`
    case "RatioToOriginalAtMost":
      return `≤ ${target.factor} × original`
  }
}

const isMet = (target: Target, value: number, limit: number | undefined, original: number | undefined): boolean | undefined => {
  switch (target._tag) {
    case "RatioToLimitAtMost":
      return limit === undefined ? undefined : value <= target.factor * limit
    case "RatioToLimitAtLeast":
      return limit === undefined ? undefined : value >= target.factor * limit
    case "AtLeast":
      return value >= target.value
    case "AtMost":
      return value <= target.value
    case "RatioToOriginalAtMost":
      return original === undefined ? undefined : value <= target.factor * original
  }
}

/** A ratio is left out where its denominator is zero (0 of 0 requests is no ratio). */
const ratio = (value: number, of: number | undefined): number | undefined =>
  of === undefined || of === 0 ? undefined : value / of

export const make = (options: {
  readonly label: string
  readonly value: number
  readonly unit: string
  readonly limit?: number | undefined
  readonly original?: number | undefined
  readonly target?: Target | undefined
}): Figure => {
  const { label, value, unit, limit, original, target } = options
  const limitRatio = ratio(value, limit)
  const originalRatio = ratio(value, original)
  const met = target === undefined ? undefined : isMet(target, value, limit, original)
  return {
    label,
    value,
    unit,
    ...(limit === undefined ? {} : { limit }),
    ...(limitRatio === undefined ? {} : { ratio: limitRatio }),
    ...(original === undefined ? {} : { original }),
    ...(originalRatio === undefined ? {} : { originalRatio }),
    ...(target === undefined ? {} : { target: targetText(target, unit) }),
    ...(met === undefined ? {} : { met })
  }
}
