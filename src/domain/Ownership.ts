import type { ObjectMeta } from "./ObjectMeta.ts"

/**
 * Quay keeps no labels, so the operator marks what it creates in the description. The uid tells one
 * object's repository from another's, and from repositories people created by hand.
 */
export const ownershipMark = (meta: ObjectMeta): string => `(uid ${meta.uid ?? "unknown"})`

/** `kind` names the owner's kind, so a sweep knows where to look the owner up. */
export const repositoryDescription = (meta: ObjectMeta, kind = "ImageRepository"): string =>
  `Managed by image-repository-operator for ${kind} ${meta.namespace ?? ""}/${meta.name} ${ownershipMark(meta)}`

/** Quay refuses robot descriptions over 255 characters: the object's name is cut, never the mark. */
export const maxRobotDescriptionLength = 255

export const robotDescription = (meta: ObjectMeta, kind = "ImageRepository"): string => {
  const mark = ` ${ownershipMark(meta)}`
  const text = `Managed by image-repository-operator for ${kind} ${meta.namespace ?? ""}/${meta.name}`
  return `${text.slice(0, maxRobotDescriptionLength - mark.length)}${mark}`
}

export const isOwnedBy = (description: string | null | undefined, meta: ObjectMeta): boolean =>
  meta.uid !== undefined && (description ?? "").includes(ownershipMark(meta))

/** Whether the description carries any object's mark: a repository or robot this operator made, for someone. */
export const isMarked = (description: string | null | undefined): boolean =>
  /\(uid [^)]*\)/.test(description ?? "")
