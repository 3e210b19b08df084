import type { ImageRepository, ImageRepositoryStatus } from "../domain/ImageRepository.ts"
import { writeStatus } from "./ImageRepositoryWrites.ts"

/**
 * A visibility change is written ahead: before Quay is asked, status.image.visibility is removed (a guarded write),
 * so until the status recording the change lands, status says the visibility is not known. Without it a pass cut
 * short in between (SIGKILL, a lost Lease) leaves status on the old value while Quay has the new one, and a spec
 * edited back meanwhile would look converged. One apiserver write per change; a converged object costs nothing.
 * A pass that finds no recorded visibility reads Quay's (the read that confirms the repository).
 */
export const writeVisibilityAhead = (ir: ImageRepository) => {
  const { visibility: _visibility, ...image } = ir.status?.image ?? {}
  return writeStatus(ir, { ...ir.status, image }, { guarded: true })
}

/** What a pass will record (its next status) with this visibility. */
export const withVisibility = <P extends { readonly status: ImageRepositoryStatus }>(pass: P, visibility: string): P => ({
  ...pass,
  status: { ...pass.status, image: { ...pass.status.image, visibility } }
})
