import type { ObjectMeta } from "./ObjectMeta.ts"

/**
 * Quay keeps no labels, so the operator marks what it creates in the description. The uid tells one
 * object's repository from another's, and from repositories people created by hand.
 */
export const ownershipMark = (meta: ObjectMeta): string => `(uid ${meta.uid ?? "unknown"})`

export const repositoryDescription = (meta: ObjectMeta): string =>
  `Managed by image-repository-operator for ImageRepository ${meta.namespace ?? ""}/${meta.name} ${ownershipMark(meta)}`

export const robotDescription = repositoryDescription

export const isOwnedBy = (description: string | null | undefined, meta: ObjectMeta): boolean =>
  meta.uid !== undefined && (description ?? "").includes(ownershipMark(meta))
