/**
 * The apiserver's storage and write semantics over encoded JSON objects, synchronous and free of effects so
 * every operation is atomic. The layer around it adds decoding, fault injection, call counting and watches.
 */
import { Either } from "effect"
import { apply as applyMergePatch } from "../../domain/MergePatch.ts"
import type { ObjectRef } from "../../domain/ObjectMeta.ts"
import {
  KubernetesConflict,
  type KubernetesError,
  KubernetesInvalid,
  KubernetesNotFound,
  KubernetesUnavailable
} from "../../services/KubernetesError.ts"
import { validate } from "./validation.ts"

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

type MutableObject = Record<string, unknown>
type Meta = Record<string, unknown>

export interface StoredEvent {
  readonly resourceVersion: number
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  readonly kindKey: string
  readonly object: RawObject
  /** The object before a MODIFIED event, so label-selected watches can turn it into ADDED/DELETED. */
  readonly previous?: RawObject
}

export interface StoreOptions {
  /** How many events watches can replay; older resourceVersions are Gone. */
  readonly historyLimit: number
  readonly now: () => string
  readonly newUid: () => string
}

export const kindKeyOf = (kind: Pick<KindInfo, "group" | "version" | "plural">): string =>
  `${kind.group}/${kind.version}/${kind.plural}`

export const apiVersionOf = (kind: Pick<KindInfo, "group" | "version">): string =>
  kind.group === "" ? kind.version : `${kind.group}/${kind.version}`

const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`

const isRecord = (v: unknown): v is MutableObject => typeof v === "object" && v !== null && !Array.isArray(v)

const clone = <A>(a: A): A => structuredClone(a)

const metaOf = (object: RawObject): Meta => (isRecord(object["metadata"]) ? object["metadata"] : {})

const stringField = (meta: Meta, key: string): string | undefined => {
  const v = meta[key]
  return typeof v === "string" ? v : undefined
}

const finalizersOf = (meta: Meta): ReadonlyArray<string> => {
  const v = meta["finalizers"]
  return Array.isArray(v) ? v.filter((f): f is string => typeof f === "string") : []
}

interface OwnerRef {
  readonly kind: string
  readonly name: string
  readonly uid: string
}

const ownersOf = (object: RawObject): ReadonlyArray<OwnerRef> => {
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
const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/**
 * Custom resources (and apps/v1 and friends) track generation; the core kinds this operator touches
 * (Secret, ServiceAccount, ConfigMap, Namespace) never get one.
 */
const tracksGeneration = (kind: KindInfo): boolean => kind.group !== ""

/** Custom resources refuse a PUT without resourceVersion; the core kinds accept it as unconditional. */
const allowsUnconditionalUpdate = (kind: KindInfo): boolean => kind.group === ""

/** The part of an object `generation` tracks: everything but metadata (and status, when it is a subresource). */
const bodyOf = (kind: KindInfo, object: RawObject): MutableObject => {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest }: MutableObject = { ...object }
  if (kind.statusSubresource) delete rest["status"]
  return rest
}

/**
 * What the apiserver does to every Secret it decodes from a request: an empty type becomes Opaque, and
 * write-only `stringData` is folded into `data` (base64), overriding keys of the same name.
 */
const normalizeSecret = (kind: KindInfo, object: MutableObject): void => {
  if (kind.group !== "" || kind.kind !== "Secret") return
  if (object["type"] === undefined || object["type"] === "") object["type"] = "Opaque"
  const stringData = object["stringData"]
  if (stringData === undefined) return
  if (isRecord(stringData)) {
    const data: MutableObject = isRecord(object["data"]) ? { ...object["data"] } : {}
    for (const [key, value] of Object.entries(stringData)) {
      if (typeof value === "string") data[key] = Buffer.from(value, "utf8").toString("base64")
    }
    object["data"] = data
  }
  delete object["stringData"]
}

interface Entry {
  readonly kind: KindInfo
  readonly object: RawObject
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
  const objects = new Map<string, Map<string, Entry>>()
  const uids = new Map<string, { readonly kindKey: string; readonly key: string }>()
  const history: Array<StoredEvent> = []
  let pending: Array<StoredEvent> = []
  let revision = 0
  /** Newest resourceVersion no longer in the history. */
  let compacted = 0

  const bucket = (kind: KindInfo): Map<string, Entry> => {
    const key = kindKeyOf(kind)
    let b = objects.get(key)
    if (b === undefined) {
      b = new Map()
      objects.set(key, b)
    }
    return b
  }

  const record = (event: StoredEvent): void => {
    history.push(event)
    pending.push(event)
    while (history.length > options.historyLimit) {
      const dropped = history.shift()
      if (dropped !== undefined) compacted = dropped.resourceVersion
    }
  }

  const stamp = (object: MutableObject, meta: Meta): RawObject => {
    revision++
    meta["resourceVersion"] = String(revision)
    object["metadata"] = meta
    return object
  }

  const notFound = (kind: KindInfo, ref: ObjectRef) =>
    new KubernetesNotFound({ kind: kind.kind, namespace: ref.namespace, name: ref.name })

  const conflict = (kind: KindInfo, name: string, detail: string) =>
    new KubernetesConflict({ kind: kind.kind, name, detail })

  const invalid = (kind: KindInfo, name: string, detail: string) =>
    new KubernetesInvalid({ kind: kind.kind, name, detail })

  const stale = (kind: KindInfo, name: string) =>
    conflict(
      kind,
      name,
      `Operation cannot be fulfilled on ${kind.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`
    )

  const write = (kind: KindInfo, type: "ADDED" | "MODIFIED", object: RawObject, previous?: RawObject): void => {
    const meta = metaOf(object)
    const namespace = stringField(meta, "namespace") ?? ""
    const name = stringField(meta, "name") ?? ""
    bucket(kind).set(objectKey(namespace, name), { kind, object })
    const uid = stringField(meta, "uid")
    if (uid !== undefined) uids.set(uid, { kindKey: kindKeyOf(kind), key: objectKey(namespace, name) })
    record({
      resourceVersion: revision,
      type,
      kindKey: kindKeyOf(kind),
      object,
      ...(previous === undefined ? {} : { previous })
    })
  }

  /** Removes the object for good (a DELETED event at a new resourceVersion), then collects its dependents. */
  const erase = (kind: KindInfo, last: RawObject): RawObject => {
    const meta = { ...metaOf(last) }
    const namespace = stringField(meta, "namespace") ?? ""
    const name = stringField(meta, "name") ?? ""
    bucket(kind).delete(objectKey(namespace, name))
    const uid = stringField(meta, "uid")
    if (uid !== undefined) uids.delete(uid)
    const object = stamp({ ...last }, meta)
    record({ resourceVersion: revision, type: "DELETED", kindKey: kindKeyOf(kind), object })
    if (uid !== undefined) collectDependentsOf(uid)
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

  /**
   * Whether an owner reference names an object that exists: like kube-controller-manager's garbage
   * collector, the object must have that uid, kind and name (and live in the dependent's namespace).
   */
  const ownerExists = (dependent: RawObject, owner: OwnerRef): boolean => {
    const at = uids.get(owner.uid)
    const entry = at === undefined ? undefined : objects.get(at.kindKey)?.get(at.key)
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

  const currentEntry = (entry: Entry): Entry | undefined => {
    const meta = metaOf(entry.object)
    return bucket(entry.kind).get(objectKey(stringField(meta, "namespace") ?? "", stringField(meta, "name") ?? ""))
  }

  /**
   * kube-controller-manager's garbage collector, background propagation: a dependent goes once none of its
   * owners exists any more. Runs synchronously here; on a real cluster it happens a little later.
   */
  const collectDependentsOf = (removedUid: string): void => {
    const dependents: Array<Entry> = []
    for (const b of objects.values()) {
      for (const entry of b.values()) {
        if (ownersOf(entry.object).some((owner) => owner.uid === removedUid) && isOrphaned(entry.object)) {
          dependents.push(entry)
        }
      }
    }
    for (const entry of dependents) {
      const current = currentEntry(entry)
      if (current !== undefined) requestDeletion(current)
    }
  }

  /** The garbage collector also looks at every object written: one whose owners never existed goes too. */
  const collectIfOrphaned = (kind: KindInfo, object: RawObject): void => {
    if (!isOrphaned(object)) return
    const current = currentEntry({ kind, object })
    if (current !== undefined) requestDeletion(current)
  }

  const lookup = (kind: KindInfo, ref: ObjectRef): Entry | undefined =>
    bucket(kind).get(objectKey(ref.namespace, ref.name))

  /** A kind without a status subresource has no `/status`: the apiserver answers 404. */
  const lookupFor = (kind: KindInfo, ref: ObjectRef, subresource: "status" | undefined): Entry | undefined =>
    subresource === "status" && !kind.statusSubresource ? undefined : lookup(kind, ref)

  /** An empty resourceVersion is no precondition; one that is not a number fails like etcd's parser, as a 500. */
  const checkPrecondition = (kind: KindInfo, entry: Entry, rv: string | undefined): KubernetesError | undefined => {
    if (rv === undefined || rv === "") return undefined
    if (!/^\d+$/.test(rv)) {
      return new KubernetesUnavailable({ status: 500, detail: `strconv.ParseUint: parsing "${rv}": invalid syntax` })
    }
    const name = stringField(metaOf(entry.object), "name") ?? ""
    return rv === stringField(metaOf(entry.object), "resourceVersion") ? undefined : stale(kind, name)
  }

  const refOfObject = (object: RawObject): ObjectRef => {
    const meta = metaOf(object)
    return { namespace: stringField(meta, "namespace") ?? "", name: stringField(meta, "name") ?? "" }
  }

  const validateName = (kind: KindInfo, ref: ObjectRef): KubernetesError | undefined => {
    if (ref.name === "") return invalid(kind, ref.name, "metadata.name: Required value: name or generateName is required")
    if (ref.name.length > 253 || !dns1123Subdomain.test(ref.name)) {
      return invalid(
        kind,
        ref.name,
        `metadata.name: Invalid value: "${ref.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`
      )
    }
    if (ref.namespace === "") return invalid(kind, ref.name, "metadata.namespace: Required value")
    if (ref.namespace.length > 63 || !dns1123Label.test(ref.namespace)) {
      return invalid(kind, ref.name, `metadata.namespace: Invalid value: "${ref.namespace}": a lowercase RFC 1123 label`)
    }
    return undefined
  }

  /**
   * The update path shared by PUT and PATCH: `candidate` is what the client asked for, resolved against the
   * stored object. Server-owned metadata is kept, status or everything-but-status is taken from the stored
   * object depending on the subresource, generation follows the spec, and a no-op writes nothing.
   */
  const update = (
    entry: Entry,
    candidate: RawObject,
    subresource: "status" | undefined,
    admit?: (object: RawObject) => string | undefined
  ): Either.Either<RawObject, KubernetesError> => {
    const { kind } = entry
    const current = entry.object
    const currentMeta = metaOf(current)
    const name = stringField(currentMeta, "name") ?? ""
    let next: MutableObject
    if (subresource === "status") {
      next = { ...clone(current) }
      if (candidate["status"] === undefined) delete next["status"]
      else next["status"] = clone(candidate["status"])
    } else {
      next = { ...clone(candidate) }
      if (kind.statusSubresource) {
        if (current["status"] === undefined) delete next["status"]
        else next["status"] = clone(current["status"])
      }
    }
    next["apiVersion"] = apiVersionOf(kind)
    next["kind"] = kind.kind
    const requested = subresource === "status" ? currentMeta : metaOf(candidate)
    const requestedUid = stringField(requested, "uid")
    if (requestedUid !== undefined && requestedUid !== "" && requestedUid !== stringField(currentMeta, "uid")) {
      return Either.left(invalid(kind, name, "metadata.uid: Invalid value: field is immutable"))
    }
    if (stringField(requested, "deletionTimestamp") !== undefined && stringField(currentMeta, "deletionTimestamp") === undefined) {
      // Only a delete request starts deletion.
      return Either.left(invalid(kind, name, "metadata.deletionTimestamp: Invalid value: field is immutable"))
    }
    normalizeSecret(kind, next)
    const meta: Meta = { ...clone(requested) }
    for (const field of ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion"]) {
      if (currentMeta[field] === undefined) delete meta[field]
      else meta[field] = currentMeta[field]
    }
    next["metadata"] = meta

    const deleting = stringField(currentMeta, "deletionTimestamp") !== undefined
    const before = finalizersOf(currentMeta)
    const after = finalizersOf(meta)
    if (deleting && after.some((f) => !before.includes(f))) {
      return Either.left(
        invalid(kind, name, "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted")
      )
    }
    if (tracksGeneration(kind) && !deepEqual(bodyOf(kind, current), bodyOf(kind, next))) {
      const generation = currentMeta["generation"]
      meta["generation"] = (typeof generation === "number" ? generation : 0) + 1
    }
    if (deepEqual(current, next)) return Either.right(current)
    const problem = validate(kind, next, current) ?? admit?.(next)
    if (problem !== undefined) return Either.left(invalid(kind, name, problem))
    if (deleting && after.length === 0) {
      // The apiserver turns the update that empties the finalizers of a deleting object into its deletion:
      // watches see the stored object go; the writer gets its update back, at the last stored version.
      erase(kind, current)
      return Either.right(next)
    }
    const stored = stamp(next, meta)
    write(kind, "MODIFIED", stored, current)
    collectIfOrphaned(kind, stored)
    return Either.right(stored)
  }

  const store: Store = {
    resourceVersion: () => revision,

    get: (kind, ref) => {
      const entry = lookup(kind, ref)
      return entry === undefined ? undefined : clone(entry.object)
    },

    list: (kind, namespace) =>
      [...bucket(kind).entries()]
        .filter(([, entry]) => namespace === undefined || refOfObject(entry.object).namespace === namespace)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, entry]) => clone(entry.object)),

    all: () =>
      [...objects.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .flatMap(([, b]) =>
          [...b.entries()].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0)).map(([, entry]) => clone(entry.object))
        ),

    create: (kind, object) => {
      const ref = refOfObject(object)
      const bad = validateName(kind, ref)
      if (bad !== undefined) return Either.left(bad)
      const requested = metaOf(object)
      const rv = stringField(requested, "resourceVersion")
      if (rv !== undefined && rv !== "") {
        // What etcd3's store answers: a plain error, served as 500.
        return Either.left(
          new KubernetesUnavailable({ status: 500, detail: "resourceVersion should not be set on objects to be created" })
        )
      }
      if (lookup(kind, ref) !== undefined) {
        return Either.left(conflict(kind, ref.name, `${kind.plural} "${ref.name}" already exists`))
      }
      const next: MutableObject = { ...clone(object), apiVersion: apiVersionOf(kind), kind: kind.kind }
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
      collectIfOrphaned(kind, stored)
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
      const entry = lookup(kind, ref)
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
      const entry = lookup(kind, ref)
      const next: MutableObject = { ...clone(object), apiVersion: apiVersionOf(kind), kind: kind.kind }
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
      if (tracksGeneration(kind) && !deepEqual(bodyOf(kind, entry.object), bodyOf(kind, next))) {
        const generation = currentMeta["generation"]
        meta["generation"] = (typeof generation === "number" ? generation : 0) + 1
      }
      if (deepEqual(entry.object, next)) return Either.right(clone(entry.object))
      if (stringField(meta, "deletionTimestamp") !== undefined && finalizersOf(meta).length === 0) {
        return Either.right(clone(erase(kind, entry.object)))
      }
      const stored = stamp(next, meta)
      write(kind, "MODIFIED", stored, entry.object)
      return Either.right(clone(stored))
    },

    remove: (kind, ref) => {
      const entry = lookup(kind, ref)
      if (entry !== undefined) erase(kind, entry.object)
    },

    eventsAfter: (resourceVersion) =>
      resourceVersion < compacted ? "gone" : history.filter((e) => e.resourceVersion > resourceVersion),

    drainEvents: () => {
      const events = pending
      pending = []
      return events
    }
  }
  return store
}
