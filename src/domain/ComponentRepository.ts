import { Schema } from "effect"
import type { ImageRepository } from "./ImageRepository.ts"

/** Labels that make an ImageRepository a Component's, when it carries both on creation. */
export const componentLabel = "appstudio.redhat.com/component"
export const applicationLabel = "appstudio.redhat.com/application"

/** The Component whose builds a repository stores, and the Application it belongs to. */
export const Component = Schema.Struct({
  name: Schema.String,
  application: Schema.String
})
export type Component = typeof Component.Type

/** The Component the labels name: both labels present and non-empty. */
export const fromLabels = (ir: ImageRepository): Component | undefined => {
  const name = ir.metadata.labels?.[componentLabel]
  const application = ir.metadata.labels?.[applicationLabel]
  return name === undefined || name === "" || application === undefined || application === ""
    ? undefined
    : { name, application }
}

/**
 * Whether the labels still decide: nothing is recorded yet (provisioning records the repository and the decision in
 * one write), or the object is the original controller's, ready without a condition this operator ever wrote, and
 * its first pass here records what the labels say (the original read them on every pass).
 */
const undecided = (ir: ImageRepository): boolean =>
  ir.status?.image?.url === undefined || (ir.status.state === "ready" && ir.status.conditions === undefined)

/**
 * The Component an ImageRepository is for, as decided when it was provisioned and recorded in `status.component`.
 * Once decided the labels are never read again, as the spec says: labels added (or removed, or changed) later have
 * no effect.
 */
export const componentOf = (ir: ImageRepository): Component | undefined =>
  ir.status?.component ?? (undecided(ir) ? fromLabels(ir) : undefined)

/** The repository name (inside the namespace) when spec.image.name is omitted: `<application>/<component>`. */
export const defaultImageName = (ir: ImageRepository, component: Component | undefined): string =>
  component === undefined ? ir.metadata.name : `${component.application}/${component.name}`
