/**
 * The apiserver's storage and write semantics over encoded JSON objects, synchronous and free of effects so
 * every operation is atomic. The layer around it adds decoding, fault injection, call counting and watches.
 */
import { Either } from "effect"
import { apply as applyMergePatch } from "../../domain/MergePatch.ts"
import type { ObjectRef } from "../../domain/ObjectMeta.ts"
import { type KubernetesError, KubernetesNotFound, KubernetesUnavailable } from "../../services/KubernetesError.ts"
import {
  allowsUnconditionalUpdate,
  asKind,
  bumpGeneration,
  checkPrecondition,
  conflict,
  invalid,
  normalizeSecret,
  resolveUpdate,
  tracksGeneration
} from "./admission.ts"
import { makeGarbageCollector } from "./garbageCollector.ts"
import { makeHistory, type StoredEvent } from "./history.ts"
import { makeObjectTable } from "./objectTable.ts"
import {
  clone,
  deepEqual,
  type Entry,
  finalizersOf,
  isRecord,
  type KindInfo,
  kindKeyOf,
  type Meta,
  metaOf,
  type MutableObject,
  type RawObject,
  refOfObject,
  stringField
} from "./rawObject.ts"
import { nameProblem, validate } from "./validation.ts"

export type { StoredEvent } from "./history.ts"
export type { KindInfo, RawObject } from "./rawObject.ts"

export interface StoreOptions {
  /** How many events watches can replay; older resourceVersions are Gone. */
  readonly historyLimit: number
  readonly now: () => string
  readonly newUid: () => string
}

export interface Store {
  readonly resourceVersion: () => number
  readonly get: (kind: KindInfo, ref: ObjectRef) => RawObject | undefined
  readonly list: (kind: KindInfo, namespace: string | undefined) => ReadonlyArray<RawObject>
  readonly all: () => ReadonlyArray<RawObject>
  readonly create: (kind: KindInfo, object: RawObject) => Either.Either<RawObject, KubernetesError>
  /** PUT, of the main resource or (subresource "status") of status only. */
  readonly replace: (
    kind: KindInfo,
    object: RawObject,
    subresource: "status" | undefined
  ) => Either.Either<RawObject, KubernetesError>
  /**
   * JSON merge patch. `admit` type-checks the result as the apiserver's schema would (the layer decodes it
   * with the kind's schema), so a patch that breaks the object's shape is refused instead of stored.
   */
  readonly patch: (
    kind: KindInfo,
    ref: ObjectRef,
    patch: unknown,
    subresource: "status" | undefined,
    admit?: (object: RawObject) => string | undefined
  ) => Either.Either<RawObject, KubernetesError>
  readonly delete: (
    kind: KindInfo,
    ref: ObjectRef,
    preconditions: { readonly uid?: string; readonly resourceVersion?: string } | undefined
  ) => Either.Either<void, KubernetesError>
  /**
   * Out of band: writes the object as given (status included), keeping only server-owned metadata. Not
   * checked for owners that do not exist, so tests can stage objects owned by made-up uids.
   */
  readonly put: (kind: KindInfo, object: RawObject) => Either.Either<RawObject, KubernetesError>
  /** Out of band: the object vanishes at once, finalizers or not (garbage collection still follows). */
  readonly remove: (kind: KindInfo, ref: ObjectRef) => void
  /** Events after `resourceVersion`, or "gone" when the history no longer reaches back that far. */
  readonly eventsAfter: (resourceVersion: number) => ReadonlyArray<StoredEvent> | "gone"
  /** Events recorded since the last call: the layer publishes them to live watches. */
  readonly drainEvents: () => ReadonlyArray<StoredEvent>
}

export const makeStore = (options: StoreOptions): Store => {
  const table = makeObjectTable()
  const history = makeHistory(options.historyLimit)

  const stamp = (object: MutableObject, meta: Meta): RawObject => {
    meta["resourceVersion"] = String(history.next())
    object["metadata"] = meta
    return object
  }

  const notFound = (kind: KindInfo, ref: ObjectRef) =>
    new KubernetesNotFound({ kind: kind.kind, namespace: ref.namespace, name: ref.name })

  const write = (kind: KindInfo, type: "ADDED" | "MODIFIED", object: RawObject, previous?: RawObject): void => {
    table.set(kind, object)
    history.record({
      resourceVersion: history.current(),
      type,
      kindKey: kindKeyOf(kind),
      object,
      ...(previous === undefined ? {} : { previous })
    })
  }

  /** Removes the object for good (a DELETED event at a new resourceVersion), then collects its dependents. */
  const erase = (kind: KindInfo, last: RawObject): RawObject => {
    const meta = { ...metaOf(last) }
    table.remove(kind, last)
    const object = stamp({ ...last }, meta)
    history.record({ resourceVersion: history.current(), type: "DELETED", kindKey: kindKeyOf(kind), object })
    const uid = stringField(meta, "uid")
    if (uid !== undefined) garbageCollector.collectDependentsOf(uid)
    return object
  }

  /** A delete request without preconditions: finalizers hold the object with a deletionTimestamp. */
  const requestDeletion = (entry: Entry): void => {
    const meta = metaOf(entry.object)
    if (finalizersOf(meta).length === 0) {
      erase(entry.kind, entry.object)
      return
    }
    if (stringField(meta, "deletionTimestamp") !== undefined) return
    const next = stamp({ ...entry.object }, { ...meta, deletionTimestamp: options.now(), deletionGracePeriodSeconds: 0 })
    write(entry.kind, "MODIFIED", next, entry.object)
  }

  const garbageCollector = makeGarbageCollector(table, requestDeletion)

  /** A kind without a status subresource has no `/status`: the apiserver answers 404. */
  const lookupFor = (kind: KindInfo, ref: ObjectRef, subresource: "status" | undefined): Entry | undefined =>
    subresource === "status" && !kind.statusSubresource ? undefined : table.lookup(kind, ref)

  /**
   * The update path shared by PUT and PATCH: `candidate` is what the client asked for, resolved against the
   * stored object (see `resolveUpdate`); a no-op writes nothing.
   */
  const update = (
    entry: Entry,
    candidate: RawObject,
    subresource: "status" | undefined,
    admit?: (object: RawObject) => string | undefined
  ): Either.Either<RawObject, KubernetesError> => {
    const { kind } = entry
    const current = entry.object
    const resolved = resolveUpdate(entry, candidate, subresource)
    if (Either.isLeft(resolved)) return Either.left(resolved.left)
    const { meta, next } = resolved.right
    if (deepEqual(current, next)) return Either.right(current)
    const name = stringField(meta, "name") ?? ""
    const problem = validate(kind, next, current) ?? admit?.(next)
    if (problem !== undefined) return Either.left(invalid(kind, name, problem))
    if (stringField(meta, "deletionTimestamp") !== undefined && finalizersOf(meta).length === 0) {
      // The apiserver turns the update that empties the finalizers of a deleting object into its deletion:
      // watches see the stored object go; the writer gets its update back, at the last stored version.
      erase(kind, current)
      return Either.right(next)
    }
    const stored = stamp(next, meta)
    write(kind, "MODIFIED", stored, current)
    garbageCollector.collectIfOrphaned(kind, stored)
    return Either.right(stored)
  }

  return {
    resourceVersion: history.current,

    get: (kind, ref) => {
      const entry = table.lookup(kind, ref)
      return entry === undefined ? undefined : clone(entry.object)
    },

    list: table.list,
    all: table.all,

    create: (kind, object) => {
      const ref = refOfObject(object)
      const bad = nameProblem(ref)
      if (bad !== undefined) return Either.left(invalid(kind, ref.name, bad))
      const requested = metaOf(object)
      const rv = stringField(requested, "resourceVersion")
      if (rv !== undefined && rv !== "") {
        // What etcd3's store answers: a plain error, served as 500.
        return Either.left(
          new KubernetesUnavailable({ status: 500, detail: "resourceVersion should not be set on objects to be created" })
        )
      }
      if (table.lookup(kind, ref) !== undefined) {
        return Either.left(conflict(kind, ref.name, `${kind.plural} "${ref.name}" already exists`))
      }
      const next = asKind(kind, object)
      if (kind.statusSubresource) delete next["status"]
      const meta: Meta = { ...clone(requested) }
      delete meta["deletionTimestamp"]
      delete meta["deletionGracePeriodSeconds"]
      meta["uid"] = options.newUid()
      meta["creationTimestamp"] = options.now()
      if (tracksGeneration(kind)) meta["generation"] = 1
      else delete meta["generation"]
      next["metadata"] = meta
      normalizeSecret(kind, next)
      const problem = validate(kind, next, undefined)
      if (problem !== undefined) return Either.left(invalid(kind, ref.name, problem))
      const stored = stamp(next, meta)
      write(kind, "ADDED", stored)
      garbageCollector.collectIfOrphaned(kind, stored)
      return Either.right(clone(stored))
    },

    replace: (kind, object, subresource) => {
      const ref = refOfObject(object)
      const entry = lookupFor(kind, ref, subresource)
      if (entry === undefined) return Either.left(notFound(kind, ref))
      const rv = stringField(metaOf(object), "resourceVersion")
      if ((rv === undefined || rv === "") && !allowsUnconditionalUpdate(kind)) {
        return Either.left(
          invalid(kind, ref.name, "metadata.resourceVersion: Invalid value: 0: must be specified for an update")
        )
      }
      const precondition = checkPrecondition(kind, entry, rv)
      if (precondition !== undefined) return Either.left(precondition)
      return Either.map(update(entry, object, subresource), clone)
    },

    patch: (kind, ref, patch, subresource, admit) => {
      const entry = lookupFor(kind, ref, subresource)
      if (entry === undefined) return Either.left(notFound(kind, ref))
      if (!isRecord(patch)) return Either.left(invalid(kind, ref.name, "a merge patch must be a JSON object"))
      const patchMeta = isRecord(patch["metadata"]) ? patch["metadata"] : {}
      const rv = patchMeta["resourceVersion"]
      const precondition = checkPrecondition(kind, entry, typeof rv === "string" ? rv : undefined)
      if (precondition !== undefined) return Either.left(precondition)
      const patched = applyMergePatch(entry.object, patch)
      if (!isRecord(patched) || !isRecord(patched["metadata"])) {
        return Either.left(invalid(kind, ref.name, "the patched object has no metadata"))
      }
      return Either.map(update(entry, patched, subresource, admit), clone)
    },

    delete: (kind, ref, preconditions) => {
      const entry = table.lookup(kind, ref)
      if (entry === undefined) return Either.left(notFound(kind, ref))
      const meta = metaOf(entry.object)
      const uid = stringField(meta, "uid")
      const rv = stringField(meta, "resourceVersion")
      if (preconditions?.uid !== undefined && preconditions.uid !== uid) {
        return Either.left(
          conflict(kind, ref.name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${uid ?? ""}`)
        )
      }
      if (preconditions?.resourceVersion !== undefined && preconditions.resourceVersion !== rv) {
        return Either.left(
          conflict(
            kind,
            ref.name,
            `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${rv ?? ""}`
          )
        )
      }
      requestDeletion(entry)
      return Either.void
    },

    put: (kind, object) => {
      const ref = refOfObject(object)
      if (ref.name === "") return Either.left(invalid(kind, "", "metadata.name: Required value"))
      const entry = table.lookup(kind, ref)
      const next = asKind(kind, object)
      normalizeSecret(kind, next)
      const meta: Meta = { ...clone(metaOf(object)) }
      if (entry === undefined) {
        meta["uid"] = stringField(meta, "uid") ?? options.newUid()
        meta["creationTimestamp"] = stringField(meta, "creationTimestamp") ?? options.now()
        if (tracksGeneration(kind)) meta["generation"] = 1
        else delete meta["generation"]
        if (stringField(meta, "deletionTimestamp") !== undefined && finalizersOf(meta).length === 0) {
          // Deleted as soon as it is written: nothing is stored, nothing is seen.
          return Either.right({ ...next, metadata: meta })
        }
        const stored = stamp(next, meta)
        write(kind, "ADDED", stored)
        return Either.right(clone(stored))
      }
      const currentMeta = metaOf(entry.object)
      meta["uid"] = currentMeta["uid"]
      meta["creationTimestamp"] = currentMeta["creationTimestamp"]
      if (currentMeta["generation"] === undefined) delete meta["generation"]
      else meta["generation"] = currentMeta["generation"]
      meta["resourceVersion"] = currentMeta["resourceVersion"]
      next["metadata"] = meta
      bumpGeneration(kind, entry.object, next, meta)
      if (deepEqual(entry.object, next)) return Either.right(clone(entry.object))
      if (stringField(meta, "deletionTimestamp") !== undefined && finalizersOf(meta).length === 0) {
        return Either.right(clone(erase(kind, entry.object)))
      }
      const stored = stamp(next, meta)
      write(kind, "MODIFIED", stored, entry.object)
      return Either.right(clone(stored))
    },

    remove: (kind, ref) => {
      const entry = table.lookup(kind, ref)
      if (entry !== undefined) erase(kind, entry.object)
    },

    eventsAfter: history.eventsAfter,
    drainEvents: history.drain
  }
}
