import { type ImageRepository, isDeleting, isFailed } from "./ImageRepository.ts"
import * as StatusClaims from "./StatusClaims.ts"

/**
 * The live objects that use a repository: provisioned to it (their status records it, under their own namespace),
 * neither failed nor being deleted. The original controller let several objects share one repository; it goes only
 * with the last of them, so a deletion keeps a repository these use and the orphan sweep leaves it alone. Status
 * can be written by users, but only to keep a repository of their own namespace, never to have one deleted.
 */
export const usersOf = (
  objects: ReadonlyArray<ImageRepository>,
  repository: string,
  registry: StatusClaims.Registry,
  exceptUid?: string
): ReadonlyArray<ImageRepository> =>
  objects.filter((o) =>
    o.metadata.uid !== exceptUid && !isDeleting(o) && !isFailed(o) &&
    StatusClaims.inspect(o, registry).repository === repository
  )
