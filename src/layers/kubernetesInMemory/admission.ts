/**
 * What the apiserver makes of a write request before it stores anything: Secret normalization,
 * server-owned metadata, the status subresource's split, generation, preconditions, and its refusals.
 */
import { Either } from "effect"
import {
  KubernetesConflict,
  type KubernetesError,
  KubernetesInvalid,
  KubernetesUnavailable
} from "../../services/KubernetesError.ts"
import { apiVersionOf } from "../../services/ResourceKind.ts"
import {
  clone,
  deepEqual,
  type Entry,
  finalizersOf,
  isRecord,
  type KindInfo,
  type Meta,
  metaOf,
  type MutableObject,
  type RawObject,
  stringField
} from "./rawObject.ts"

export const conflict = (kind: KindInfo, name: string, detail: string): KubernetesError =>
  new KubernetesConflict({ kind: kind.kind, name, detail })

export const invalid = (kind: KindInfo, name: string, detail: string): KubernetesError =>
  new KubernetesInvalid({ kind: kind.kind, name, detail })

const stale = (kind: KindInfo, name: string): KubernetesError =>
  conflict(
    kind,
    name,
    `Operation cannot be fulfilled on ${kind.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`
  )

/**
 * Custom resources (and apps/v1 and friends) track generation; the core kinds this operator touches
 * (Secret, ServiceAccount, ConfigMap, Namespace) never get one.
 */
export const tracksGeneration = (kind: KindInfo): boolean => kind.group !== ""

/** Custom resources refuse a PUT without resourceVersion; the core kinds accept it as unconditional. */
export const allowsUnconditionalUpdate = (kind: KindInfo): boolean => kind.group === ""

/** The part of an object `generation` tracks: everything but metadata (and status, when it is a subresource). */
const bodyOf = (kind: KindInfo, object: RawObject): MutableObject => {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest }: MutableObject = { ...object }
  if (kind.statusSubresource) delete rest["status"]
  return rest
}

/** `meta` gets the next generation when the tracked body of `next` differs from `current`'s. */
export const bumpGeneration = (kind: KindInfo, current: RawObject, next: RawObject, meta: Meta): void => {
  if (!tracksGeneration(kind) || deepEqual(bodyOf(kind, current), bodyOf(kind, next))) return
  const generation = metaOf(current)["generation"]
  meta["generation"] = (typeof generation === "number" ? generation : 0) + 1
}

/** The request's object as stored: its apiVersion and kind are the kind's, whatever it says. */
export const asKind = (kind: KindInfo, object: RawObject): MutableObject => ({
  ...clone(object),
  apiVersion: apiVersionOf(kind),
  kind: kind.kind
})

/**
 * What the apiserver does to every Secret it decodes from a request: an empty type becomes Opaque, and
 * write-only `stringData` is folded into `data` (base64), overriding keys of the same name.
 */
export const normalizeSecret = (kind: KindInfo, object: MutableObject): void => {
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

/** An empty resourceVersion is no precondition; one that is not a number fails like etcd's parser, as a 500. */
export const checkPrecondition = (kind: KindInfo, entry: Entry, rv: string | undefined): KubernetesError | undefined => {
  if (rv === undefined || rv === "") return undefined
  if (!/^\d+$/.test(rv)) {
    return new KubernetesUnavailable({ status: 500, detail: `strconv.ParseUint: parsing "${rv}": invalid syntax` })
  }
  const name = stringField(metaOf(entry.object), "name") ?? ""
  return rv === stringField(metaOf(entry.object), "resourceVersion") ? undefined : stale(kind, name)
}

const serverOwnedFields = [
  "name",
  "namespace",
  "uid",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "generation",
  "resourceVersion"
]

/**
 * The object a PUT or PATCH asks for, resolved against the stored one: server-owned metadata is kept, status
 * or everything-but-status is taken from the stored object depending on the subresource, generation follows
 * the spec. The result's metadata is not yet stamped with a resourceVersion.
 */
export const resolveUpdate = (
  entry: Entry,
  candidate: RawObject,
  subresource: "status" | undefined
): Either.Either<{ readonly next: MutableObject; readonly meta: Meta }, KubernetesError> => {
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
  for (const field of serverOwnedFields) {
    if (currentMeta[field] === undefined) delete meta[field]
    else meta[field] = currentMeta[field]
  }
  next["metadata"] = meta
  const deleting = stringField(currentMeta, "deletionTimestamp") !== undefined
  const before = finalizersOf(currentMeta)
  if (deleting && finalizersOf(meta).some((f) => !before.includes(f))) {
    return Either.left(
      invalid(kind, name, "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted")
    )
  }
  bumpGeneration(kind, current, next, meta)
  return Either.right({ next, meta })
}
