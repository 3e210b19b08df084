/**
 * JSON merge patch (RFC 7386): the only way this operator writes objects, so fields it does not model
 * (other controllers' annotations, spec fields of newer CRD versions) are never lost.
 */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
export type JsonObject = { readonly [key: string]: Json }

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v)

/** Applies a merge patch to a document. */
export const apply = (target: unknown, patch: unknown): unknown => {
  if (!isObject(patch)) return patch
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = apply(result[key], value)
  }
  return result
}

/** Structural JSON equality: key order does not matter (decoded objects and built ones order keys differently). */
export const equal = (a: unknown, b: unknown): boolean => {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined)
    return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => equal(a[k], b[k]))
  }
  return a === b
}

/** The smallest merge patch that turns `from` into `to` (undefined when they are equal). */
export const diff = (from: unknown, to: unknown): unknown => {
  if (!isObject(from) || !isObject(to)) return equal(from, to) ? undefined : (to ?? null)
  const patch: Record<string, unknown> = {}
  for (const key of Object.keys(from)) {
    if (!(key in to) || to[key] === undefined) patch[key] = null
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue
    const sub = diff(from[key], value)
    if (sub !== undefined) patch[key] = sub
  }
  return Object.keys(patch).length === 0 ? undefined : patch
}

/**
 * Composes two merge patches into one that has the effect of applying both in order. Exact unless the first
 * sets a key to a non-object that the second then patches as an object: merge patches cannot say "replace
 * with this object", so no single patch exists for that (the programs never combine such patches).
 */
export const combine = (first: unknown, second: unknown): unknown => {
  if (!isObject(first) || !isObject(second)) return second
  const result: Record<string, unknown> = { ...first }
  for (const [key, value] of Object.entries(second)) result[key] = combine(first[key], value)
  return result
}
