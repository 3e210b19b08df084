import { Schema } from "effect"
import { ObjectMeta, type OwnerKind } from "./ObjectMeta.ts"

/**
 * Konflux's Component (application-api), the part the legacy image flow reads: which application it belongs to
 * and its name there. Everything else a real Component holds is ignored on decode and never written back (every
 * write is a merge patch of annotations and finalizers).
 */
export const group = "appstudio.redhat.com"
export const version = "v1alpha1"
export const apiVersion = `${group}/${version}`
export const kind = "Component"
export const plural = "components"
export const ownerKind: OwnerKind = { apiVersion, kind }

/** The request: `{"visibility": "public"|"private"}`, or the bare `true` (public); removed once answered. */
export const generateAnnotation = "image.redhat.com/generate"
/** The answer: `{"image","visibility","secret"}`, with `message` when something was refused. */
export const imageAnnotation = "image.redhat.com/image"
/** Present: the repository goes with the Component. Absent: only the robots go, the repository stays. */
export const deleteImageRepoAnnotation = "image.redhat.com/delete-image-repo"
/** The original controller's finalizer for this flow, so Components it provisioned are cleaned up by this one. */
export const finalizer = "image-controller.appstudio.openshift.io/image-repository"

/** Free strings: a value a real apiserver would refuse must still decode here, and is answered with a message. */
export const ComponentSpec = Schema.Struct({
  application: Schema.optional(Schema.String),
  componentName: Schema.optional(Schema.String)
})

export const Component = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.optional(ComponentSpec)
})
export type Component = typeof Component.Type

export const isDeleting = (component: Component): boolean => component.metadata.deletionTimestamp !== undefined

export const hasFinalizer = (component: Component): boolean => (component.metadata.finalizers ?? []).includes(finalizer)

/** The annotation is there, and does not say "false". */
export const deletesRepository = (component: Component): boolean => {
  const value = component.metadata.annotations?.[deleteImageRepoAnnotation]
  return value !== undefined && value.trim().toLowerCase() !== "false"
}
