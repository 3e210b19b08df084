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
 * The Component an ImageRepository is for, as decided when it was provisioned: the labels count only until a
 * repository is recorded in status, together with this decision (`status.component`). From then on the labels are
 * never read again, as the spec says: labels added (or removed, or changed) later have no effect.
 */
export const componentOf = (ir: ImageRepository): Component | undefined =>
  ir.status?.component ?? (ir.status?.image?.url === undefined ? fromLabels(ir) : undefined)

/** The repository name (inside the namespace) when spec.image.name is omitted: `<application>/<component>`. */
export const defaultImageName = (ir: ImageRepository, component: Component | undefined): string =>
  component === undefined ? ir.metadata.name : `${component.application}/${component.name}`
