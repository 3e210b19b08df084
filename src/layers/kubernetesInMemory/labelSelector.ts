/**
 * Label selectors as the apiserver parses them (`k8s.io/apimachinery/pkg/labels`): equality (`k=v`, `k==v`,
 * `k!=v`), existence (`k`, `!k`) and set-based (`k in (a,b)`, `k notin (a,b)`) requirements, ANDed by commas.
 */
import { failureMessage } from "../../domain/FailureMessage.ts"

export type Requirement =
  | { readonly op: "in"; readonly key: string; readonly values: ReadonlyArray<string> }
  | { readonly op: "notin"; readonly key: string; readonly values: ReadonlyArray<string> }
  | { readonly op: "exists"; readonly key: string }
  | { readonly op: "absent"; readonly key: string }

export type LabelSelector = ReadonlyArray<Requirement>

export type Labels = { readonly [key: string]: string } | undefined

/** Splits on commas that are not inside a `( ... )` value set. */
const splitTopLevel = (selector: string): Array<string> => {
  const parts: Array<string> = []
  let depth = 0
  let current = ""
  for (const ch of selector) {
    if (ch === "(") depth++
    if (ch === ")") depth--
    if (ch === "," && depth === 0) {
      parts.push(current)
      current = ""
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts
}

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/

const checkKey = (key: string): string => {
  if (!keyPattern.test(key)) throw new Error(`invalid label key "${key}"`)
  return key
}
const checkValue = (value: string): string => {
  if (!valuePattern.test(value) || value.length > 63) throw new Error(`invalid label value "${value}"`)
  return value
}

const parseRequirement = (raw: string): Requirement => {
  const term = raw.trim()
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term)
  if (set !== null) {
    const [, key = "", op, values = ""] = set
    const list = values.split(",").map((v) => checkValue(v.trim()))
    return { op: op === "in" ? "in" : "notin", key: checkKey(key), values: list }
  }
  const notEqual = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(term)
  if (notEqual !== null) {
    const [, key = "", value = ""] = notEqual
    return { op: "notin", key: checkKey(key), values: [checkValue(value)] }
  }
  const equal = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(term)
  if (equal !== null) {
    const [, key = "", value = ""] = equal
    return { op: "in", key: checkKey(key), values: [checkValue(value)] }
  }
  if (term.startsWith("!")) return { op: "absent", key: checkKey(term.slice(1).trim()) }
  return { op: "exists", key: checkKey(term) }
}

/** Parses a selector; an empty or absent one selects everything. Returns the reason when it is malformed. */
export const parse = (selector: string | undefined): { readonly selector: LabelSelector } | { readonly error: string } => {
  if (selector === undefined || selector.trim() === "") return { selector: [] }
  try {
    return { selector: splitTopLevel(selector).map(parseRequirement) }
  } catch (e) {
    return { error: `unable to parse requirement: ${failureMessage(e)}` }
  }
}

const matchesOne = (requirement: Requirement, labels: Labels): boolean => {
  const value = labels?.[requirement.key]
  switch (requirement.op) {
    case "exists":
      return value !== undefined
    case "absent":
      return value === undefined
    case "in":
      return value !== undefined && requirement.values.includes(value)
    case "notin":
      // Like the apiserver, `k!=v` also matches objects without the label.
      return value === undefined || !requirement.values.includes(value)
  }
}

export const matches = (selector: LabelSelector, labels: Labels): boolean =>
  selector.every((requirement) => matchesOne(requirement, labels))
