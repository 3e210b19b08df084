/** The stored objects, by kind then namespace/name, with an index by uid for owner lookups. */
import type { ObjectRef } from "../../domain/ObjectMeta.ts"
import {
  clone,
  type Entry,
  type KindInfo,
  kindKeyOf,
  metaOf,
  objectKey,
  type RawObject,
  refOfObject,
  stringField
} from "./rawObject.ts"

export interface ObjectTable {
  readonly lookup: (kind: KindInfo, ref: ObjectRef) => Entry | undefined
  readonly byUid: (uid: string) => Entry | undefined
  /** Stores (or overwrites) the object under its namespace/name. */
  readonly set: (kind: KindInfo, object: RawObject) => void
  readonly remove: (kind: KindInfo, object: RawObject) => void
  readonly entries: () => Iterable<Entry>
  /** Copies of one kind's objects (in one namespace, or all), ordered by namespace/name. */
  readonly list: (kind: KindInfo, namespace: string | undefined) => ReadonlyArray<RawObject>
  /** Copies of every object, ordered by kind then namespace/name. */
  readonly all: () => ReadonlyArray<RawObject>
}

const byKey = <A>([a]: readonly [string, A], [b]: readonly [string, A]): number => (a < b ? -1 : a > b ? 1 : 0)

export const makeObjectTable = (): ObjectTable => {
  const objects = new Map<string, Map<string, Entry>>()
  const uids = new Map<string, { readonly kindKey: string; readonly key: string }>()

  const bucket = (kind: KindInfo): Map<string, Entry> => {
    const key = kindKeyOf(kind)
    let b = objects.get(key)
    if (b === undefined) {
      b = new Map()
      objects.set(key, b)
    }
    return b
  }

  const keyOf = (object: RawObject): string => {
    const ref = refOfObject(object)
    return objectKey(ref.namespace, ref.name)
  }

  return {
    lookup: (kind, ref) => bucket(kind).get(objectKey(ref.namespace, ref.name)),
    byUid: (uid) => {
      const at = uids.get(uid)
      return at === undefined ? undefined : objects.get(at.kindKey)?.get(at.key)
    },
    set: (kind, object) => {
      const key = keyOf(object)
      bucket(kind).set(key, { kind, object })
      const uid = stringField(metaOf(object), "uid")
      if (uid !== undefined) uids.set(uid, { kindKey: kindKeyOf(kind), key })
    },
    remove: (kind, object) => {
      bucket(kind).delete(keyOf(object))
      const uid = stringField(metaOf(object), "uid")
      if (uid !== undefined) uids.delete(uid)
    },
    entries: function*() {
      for (const b of objects.values()) yield* b.values()
    },
    list: (kind, namespace) =>
      [...bucket(kind).entries()]
        .filter(([, entry]) => namespace === undefined || refOfObject(entry.object).namespace === namespace)
        .sort(byKey)
        .map(([, entry]) => clone(entry.object)),
    all: () =>
      [...objects.entries()]
        .sort(byKey)
        .flatMap(([, b]) => [...b.entries()].sort(byKey).map(([, entry]) => clone(entry.object)))
  }
}
