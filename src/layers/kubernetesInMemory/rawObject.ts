/**
 * Objects as the in-memory apiserver stores them: encoded JSON, read through small accessors that never throw
 * on a shape a user managed to store.
 */
import type { ObjectRef } from "../../domain/ObjectMeta.ts"

/** What the store needs to know about a kind; every `ResourceKind` is one. */
export interface KindInfo {
  readonly group: string
  readonly version: string
  readonly kind: string
  readonly plural: string
  readonly statusSubresource: boolean
}

/** An object as stored: its encoded JSON, with apiVersion, kind and metadata always present. */
export type RawObject = { readonly [key: string]: unknown }

export type MutableObject = Record<string, unknown>
export type Meta = Record<string, unknown>

/** A stored object together with its kind. */
export interface Entry {
  readonly kind: KindInfo
  readonly object: RawObject
}

export const kindKeyOf = (kind: Pick<KindInfo, "group" | "version" | "plural">): string =>
  `${kind.group}/${kind.version}/${kind.plural}`

export const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`

export const isRecord = (v: unknown): v is MutableObject => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * A deep copy, so no caller can reach into the store. Stored objects are JSON (plain objects, arrays, primitives),
 * which a plain walk copies many times faster than `structuredClone`; anything else still goes through it.
 */
const copy = (v: unknown): unknown => {
  if (typeof v !== "object" || v === null) return v
  if (Array.isArray(v)) return v.map(copy)
  if (Object.getPrototypeOf(v) !== Object.prototype) return structuredClone(v)
  const out: MutableObject = {}
  for (const key in v) out[key] = copy((v as MutableObject)[key])
  return out
}

export const clone = <A>(a: A): A => copy(a) as A

export const metaOf = (object: RawObject): Meta => (isRecord(object["metadata"]) ? object["metadata"] : {})

export const stringField = (meta: Meta, key: string): string | undefined => {
  const v = meta[key]
  return typeof v === "string" ? v : undefined
}

export const refOfObject = (object: RawObject): ObjectRef => {
  const meta = metaOf(object)
  return { namespace: stringField(meta, "namespace") ?? "", name: stringField(meta, "name") ?? "" }
}

export const finalizersOf = (meta: Meta): ReadonlyArray<string> => {
  const v = meta["finalizers"]
  return Array.isArray(v) ? v.filter((f): f is string => typeof f === "string") : []
}

export const labelsOf = (object: RawObject): { readonly [key: string]: string } | undefined => {
  const labels = metaOf(object)["labels"]
  return isRecord(labels) ? (labels as { readonly [key: string]: string }) : undefined
}

export interface OwnerRef {
  readonly kind: string
  readonly name: string
  readonly uid: string
}

export const ownersOf = (object: RawObject): ReadonlyArray<OwnerRef> => {
  const refs = metaOf(object)["ownerReferences"]
  if (!Array.isArray(refs)) return []
  return refs.flatMap((r) =>
    isRecord(r) && typeof r["uid"] === "string"
      ? [{ kind: String(r["kind"] ?? ""), name: String(r["name"] ?? ""), uid: r["uid"] }]
      : []
  )
}

/** Key order does not matter to the apiserver's JSON either. */
const canonical = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(canonical)
  if (isRecord(v)) {
    const out: MutableObject = {}
    for (const key of Object.keys(v).sort()) if (v[key] !== undefined) out[key] = canonical(v[key])
    return out
  }
  return v
}

export const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
