import type { ObjectMeta } from "./ObjectMeta.ts"

/**
 * Quay keeps no labels, so the operator marks what it creates in the description. The uid tells one
 * object's repository from another's, and from repositories people created by hand.
 */
export const ownershipMark = (meta: ObjectMeta): string => `(uid ${meta.uid ?? "unknown"})`

/** `kind` names the owner's kind, so the sweep knows where to look the owner up (it acts on ImageRepositories only). */
const managedFor = (kind: string) => `Managed by image-repository-operator for ${kind}`

export const repositoryDescription = (meta: ObjectMeta, kind = "ImageRepository"): string =>
  `${managedFor(kind)} ${meta.namespace ?? ""}/${meta.name} ${ownershipMark(meta)}`

/** Quay refuses robot descriptions over 255 characters: the object's name is cut, never the mark. */
export const maxRobotDescriptionLength = 255

export const robotDescription = (meta: ObjectMeta, kind = "ImageRepository"): string => {
  const mark = ` ${ownershipMark(meta)}`
  const text = `${managedFor(kind)} ${meta.namespace ?? ""}/${meta.name}`
  return `${text.slice(0, maxRobotDescriptionLength - mark.length)}${mark}`
}

export const isOwnedBy = (description: string | null | undefined, meta: ObjectMeta): boolean =>
  meta.uid !== undefined && (description ?? "").includes(ownershipMark(meta))

/** Whether the description carries any object's mark: a repository or robot this operator made, for someone. */
export const isMarked = (description: string | null | undefined): boolean =>
  /\(uid [^)]*\)/.test(description ?? "")

/** The owner a description's mark names, as the operator wrote it (a robot's object name may be cut). */
export interface MarkedOwner {
  readonly kind: string
  readonly namespace: string
  readonly name: string
  readonly uid: string
}

/** The whole description as the operator writes it, so a stray `(uid …)` in someone's own text never counts. */
const markedDescription = /^Managed by image-repository-operator for ([A-Za-z]+) ([a-z0-9][a-z0-9-]*)\/(\S*) \(uid ([0-9A-Za-z-]+)\)$/

/**
 * The owner a description written by this operator names; none for any other text, and none for the mark of an
 * object that had no uid. What the orphan sweep goes by: anything without such a description is never touched.
 */
export const markedOwner = (description: string | null | undefined): MarkedOwner | undefined => {
  const match = markedDescription.exec(description ?? "")
  if (match === null) return undefined
  const [, kind = "", namespace = "", name = "", uid = ""] = match
  return uid === "unknown" ? undefined : { kind, namespace, name, uid }
}

/**
 * A repository kept when its object was deleted (skip-repository-deletion): it carries no mark any more, so it is
 * nobody's to delete, the orphan sweep's included, and says where it came from.
 */
export const keptRepositoryDescription = (
  meta: ObjectMeta,
  kind = "ImageRepository",
  why = "skip-repository-deletion"
): string =>
  `Kept by image-repository-operator when ${kind} ${meta.namespace ?? ""}/${meta.name} was deleted (${why}); no longer managed`
