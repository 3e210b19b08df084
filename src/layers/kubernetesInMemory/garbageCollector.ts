/**
 * kube-controller-manager's garbage collector with background propagation: a dependent goes once none of its
 * owners exists any more. Runs synchronously within the write that orphans an object; on a real cluster it
 * happens a little later.
 */
import type { ObjectTable } from "./objectTable.ts"
import { type Entry, type KindInfo, metaOf, type OwnerRef, ownersOf, type RawObject, refOfObject, stringField } from "./rawObject.ts"

export interface GarbageCollector {
  /** After an object with this uid is gone: deletes each dependent that has no owner left. */
  readonly collectDependentsOf: (removedUid: string) => void
  /** Every object written is looked at too: one whose owners never existed goes at once. */
  readonly collectIfOrphaned: (kind: KindInfo, object: RawObject) => void
}

export const makeGarbageCollector = (
  table: ObjectTable,
  /** A delete request without preconditions: finalizers may hold the object. */
  requestDeletion: (entry: Entry) => void
): GarbageCollector => {
  /**
   * Whether an owner reference names an object that exists: like the real collector, the object must have
   * that uid, kind and name (and live in the dependent's namespace).
   */
  const ownerExists = (dependent: RawObject, owner: OwnerRef): boolean => {
    const entry = table.byUid(owner.uid)
    if (entry === undefined) return false
    const meta = metaOf(entry.object)
    const namespace = stringField(meta, "namespace") ?? ""
    return (
      entry.kind.kind === owner.kind &&
      stringField(meta, "name") === owner.name &&
      (namespace === "" || namespace === (stringField(metaOf(dependent), "namespace") ?? ""))
    )
  }

  /** Garbage: it has owners, and none of them exists. */
  const isOrphaned = (object: RawObject): boolean => {
    const owners = ownersOf(object)
    return owners.length > 0 && owners.every((owner) => !ownerExists(object, owner))
  }

  /** An earlier deletion in the same sweep may have changed or removed the entry. */
  const deleteCurrent = (kind: KindInfo, object: RawObject): void => {
    const current = table.lookup(kind, refOfObject(object))
    if (current !== undefined) requestDeletion(current)
  }

  return {
    collectDependentsOf: (removedUid) => {
      const dependents = [...table.entries()].filter((entry) =>
        ownersOf(entry.object).some((owner) => owner.uid === removedUid) && isOrphaned(entry.object)
      )
      for (const entry of dependents) deleteCurrent(entry.kind, entry.object)
    },
    collectIfOrphaned: (kind, object) => {
      if (isOrphaned(object)) deleteCurrent(kind, object)
    }
  }
}
