/**
 * An Application environment as the cluster of the spec's era described it (application-api, `appstudio.redhat.com/
 * v1alpha1` Environment), read only for where a component repository's pull Secret must go.
 */
import { Schema } from "effect"
import { applicationLabel } from "./ComponentRepository.ts"
import { ObjectMeta } from "./ObjectMeta.ts"
import type { Target } from "./RemoteSecret.ts"

export const group = "appstudio.redhat.com"
export const version = "v1alpha1"
export const kind = "Environment"
export const plural = "environments"

/** The tag that makes an Environment's `kubernetesCredentials` its deployment target (SPI's SEB controller rule). */
export const managedTag = "managed"

export const Environment = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.optional(
    Schema.Struct({
      tags: Schema.optional(Schema.Array(Schema.String)),
      unstableConfigurationFields: Schema.optional(
        Schema.Struct({
          kubernetesCredentials: Schema.optional(
            Schema.Struct({
              targetNamespace: Schema.optional(Schema.String),
              apiURL: Schema.optional(Schema.String),
              clusterCredentialsSecret: Schema.optional(Schema.String)
            })
          )
        })
      )
    })
  )
})
export type Environment = typeof Environment.Type

/**
 * Whether the Environment serves the Application: every Environment of the namespace does (in the era an
 * Application was deployed to its namespace's Environments), unless it is labelled for another Application.
 */
export const servesApplication = (environment: Environment, application: string): boolean => {
  const label = environment.metadata.labels?.[applicationLabel]
  return label === undefined || label === "" || label === application
}

/**
 * Where an Environment deploys, by the rule SPI's SnapshotEnvironmentBinding controller used: a `managed` Environment
 * with a target namespace deploys there (on its cluster when it names one); any other deploys to its own namespace.
 */
export const targetOf = (environment: Environment): Target => {
  const credentials = environment.spec?.unstableConfigurationFields?.kubernetesCredentials
  const namespace = credentials?.targetNamespace
  if ((environment.spec?.tags ?? []).includes(managedTag) && namespace !== undefined && namespace !== "") {
    const apiUrl = credentials?.apiURL ?? ""
    return {
      namespace,
      ...(apiUrl === "" ? {} : { apiUrl }),
      ...(apiUrl === "" || (credentials?.clusterCredentialsSecret ?? "") === ""
        ? {}
        : { clusterCredentialsSecret: credentials?.clusterCredentialsSecret ?? "" })
    }
  }
  return { namespace: environment.metadata.namespace ?? "" }
}
