import { Schema } from "effect"
import { ObjectMeta } from "./ObjectMeta.ts"

/**
 * The original controller's namespace pull robot (since March 2026): one Quay robot per namespace and cluster,
 * with read access to every repository provisioned in the namespace, and its Secret `components-namespace-pull`
 * (no owner: shared by the namespace's objects, never deleted). Its name is `<namespace>_<uid of kube-system>` with
 * `/`, `.` and `-` made `_`, not truncated nor collapsed, exactly as the original derives it, so the robot the
 * original made is the one found.
 */
export const namespacePullSecretName = "components-namespace-pull"

/** Set on an object once the namespace robot, its read grant on the object's repository and the Secret exist. */
export const namespacePullEnsuredAnnotation = "image-controller.appstudio.redhat.com/namespace-pull-secret-ensured"

/** The description the original gives the robots it creates: the namespace robot carries no object's mark. */
export const namespaceRobotDescription = "Robot account for Konflux Component"

/** The Namespace whose uid names the cluster, as the original reads it. */
export const clusterIdentityNamespace = "kube-system"

export const namespaceRobotShortName = (namespace: string, clusterUid: string): string =>
  `${namespace}_${clusterUid}`.replace(/[/.-]/g, "_")

/** The auth key of the namespace Secret: the namespace's prefix, which covers every repository of the tenant. */
export const namespaceImagePath = (registryHost: string, organization: string, namespace: string): string =>
  `${registryHost}/${organization}/${namespace}`

/** The part of a Namespace the operator reads: its uid. */
export const Namespace = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta
})
export type Namespace = typeof Namespace.Type
