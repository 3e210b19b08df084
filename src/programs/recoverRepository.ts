import { Effect } from "effect"
import { hasFinalizer, type ImageRepository, isDeleting } from "../domain/ImageRepository.ts"
import { isOwnedBy } from "../domain/Ownership.ts"
import { imageUrl, repositoryFromUrl } from "../domain/RepositoryName.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { Quay } from "../services/Quay.ts"
import { fromQuay } from "./errors.ts"
import { writeStatus } from "./ImageRepositoryWrites.ts"

/**
 * Whether status lost the repository the object was given: its URL damaged, or none on an object that was
 * provisioned (ready) or claimed (the finalizer is written just before the URL). Not a deleting object's missing
 * URL unless it was ready: a failed object dropped its URL because nothing was created.
 */
export const lostRepository = (ir: ImageRepository, damages: ReadonlyArray<StatusDamage>): boolean =>
  damages.some((d) => d.field === "image.url") ||
  (ir.status?.image?.url === undefined && (ir.status?.state === "ready" || (hasFinalizer(ir) && !isDeleting(ir))))

/**
 * The repository name is fixed at creation, and status is where it is recorded: when status lost it, the
 * repository marked with this object's uid under `<org>/<namespace>/` is the one it was given, and the object goes
 * on with it recorded again, before anything is provisioned or deleted, so a rename in spec is reverted as any
 * rename is. Otherwise the spec's name would be taken, which may have been changed meanwhile: a second repository
 * for the same object, the first one orphaned with the robot still granted on it. Quay lists no path prefix, so
 * this is one list of the organization's repositories, and only on this rare path. The URL is written back at
 * once (guarded), with the message; the pass goes on and reports the damage (field `image`, the record put back)
 * with its Event. None marked: the object as it is (nothing was created, or it was deleted behind our back).
 */
export const recoverRepository = (
  ir: ImageRepository,
  damages: ReadonlyArray<StatusDamage>,
  inspect: (ir: ImageRepository) => ReadonlyArray<StatusDamage>
) =>
  Effect.gen(function*() {
    if (!lostRepository(ir, damages)) return { ir, damages }
    const quay = yield* Quay
    const namespace = ir.metadata.namespace ?? ""
    const listed = yield* quay.listRepositories().pipe(Effect.mapError(fromQuay))
    const marked = listed
      .filter((r) => isOwnedBy(r.description, ir.metadata))
      .map((r) => ({ repository: r, url: imageUrl(quay.registryHost, quay.organization, r.name) }))
      .filter((r) => repositoryFromUrl(r.url, quay.registryHost, quay.organization, namespace) !== undefined)
      .sort((a, b) => a.url.localeCompare(b.url))
    const [found, ...others] = marked
    if (found === undefined) return { ir, damages }
    if (others.length > 0) {
      yield* Effect.logWarning(
        `several repositories are marked as this ImageRepository's (${marked.map((r) => r.repository.name).join(", ")}); '${found.repository.name}' is recorded`
      )
    }
    const lost = damages.filter((d) => d.field === "image.url").map((d) => d.message)
    const damage: StatusDamage = {
      field: "image",
      message: [
        ...(lost.length > 0 ? lost : ["status.image.url was missing"]),
        `status.image.url was put back to '${found.url}', the repository marked as this ImageRepository's`
      ].join("; ")
    }
    // The visibility Quay has, not what status said: that may be as damaged as the URL.
    const image = { url: found.url, visibility: found.repository.visibility }
    const recovered = yield* writeStatus(ir, { ...ir.status, image, message: damage.message }, { guarded: true })
    yield* Effect.logWarning(`status damaged: ${damage.message}`)
    return { ir: recovered, damages: [...inspect(recovered), damage] }
  }).pipe(Effect.withSpan("recoverRepository"))
