import { hasFinalizer, type ImageRepository } from "../domain/ImageRepository.ts"
import { denotes } from "../domain/RepositoryName.ts"
import { pushSecretTargets } from "../domain/ServiceAccountLinks.ts"
import type { StatusDamage } from "../domain/StatusClaims.ts"
import { isVisibility } from "../domain/Visibility.ts"
import type { ProgramSettingsOptions } from "../services/ProgramSettings.ts"
import { roles, type Target } from "./Target.ts"

/** spec.image.name still names the recorded repository: nothing to put back. */
export const keepsName = (ir: ImageRepository, target: Target): boolean => {
  const requested = ir.spec?.image?.name
  return requested !== undefined && requested !== "" && denotes(ir.metadata.namespace ?? "", requested, target.repository)
}

/** spec.image.visibility is a visibility, and the one status records (none recorded is not known: visibilityWriteAhead.ts). */
export const keepsVisibility = (ir: ImageRepository): boolean => {
  const requested = ir.spec?.image?.visibility
  return requested !== undefined && isVisibility(requested) && requested === ir.status?.image?.visibility
}

export const asksRegeneration = (ir: ImageRepository): boolean => ir.spec?.credentials?.["regenerate-token"] === true

export const asksLinkVerification = (ir: ImageRepository): boolean => ir.spec?.credentials?.["verify-linking"] === true

/**
 * Whether a maintenance pass of a ready object has nothing to do but check its Secrets: nothing in spec or status
 * asks for a change (the name, the visibility, a one-shot flag, a link, a notification, a damaged field, the
 * finalizer) and no robot needs confirming in Quay. Every condition is one the full pass's steps test themselves,
 * so the full pass would leave such an object as it is too; deciding it first spares a converged object the steps.
 */
export const isQuiet = (
  ir: ImageRepository,
  target: Target,
  damages: ReadonlyArray<StatusDamage>,
  settings: Pick<ProgramSettingsOptions, "pipelineServiceAccount">
): boolean =>
  damages.length === 0 &&
  hasFinalizer(ir) &&
  keepsName(ir, target) &&
  keepsVisibility(ir) &&
  !asksRegeneration(ir) &&
  !asksLinkVerification(ir) &&
  pushSecretTargets(ir, settings.pipelineServiceAccount).length === 0 &&
  (ir.spec?.notifications ?? []).length === 0 &&
  (ir.status?.notifications ?? []).length === 0 &&
  roles(target).every((c) => c.robot.proof === "identity")
