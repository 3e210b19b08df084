import { type ImageRepository, isDeleting, isFailed } from "./ImageRepository.ts"
import { repositoryFromUrl } from "./RepositoryName.ts"
import type { Registry } from "./StatusClaims.ts"

/**
 * Which objects use a repository: the live ones (neither failed nor being deleted) provisioned to it, their status
 * recording it under their own namespace. The original controller let several objects share one repository; it goes
 * only with the last of them, so a deletion keeps a repository these use and the orphan sweep leaves it alone.
 * Status can be written by users, but only to keep a repository of their own namespace, never to have one deleted.
 */
const recordedRepository = (ir: ImageRepository, registry: Registry): string | undefined =>
  isDeleting(ir) || isFailed(ir)
    ? undefined
    : repositoryFromUrl(ir.status?.image?.url, registry.registryHost, registry.organization, ir.metadata.namespace ?? "")

/** The live objects, other than the one with `exceptUid`, that use `repository`. */
export const usersOf = (
  objects: ReadonlyArray<ImageRepository>,
  repository: string,
  registry: Registry,
  exceptUid?: string
): ReadonlyArray<ImageRepository> =>
  objects.filter((o) => o.metadata.uid !== exceptUid && recordedRepository(o, registry) === repository)

/** Every repository the live objects use. */
export const usedRepositories = (objects: ReadonlyArray<ImageRepository>, registry: Registry): ReadonlySet<string> =>
  new Set(objects.flatMap((o) => recordedRepository(o, registry) ?? []))
