/**
 * The RemoteSecret (redhat-appstudio/remote-secret, `appstudio.redhat.com/v1beta1`) as this operator writes and
 * reads it: the parts of its spec it owns, the status it checks, the marks the RemoteSecret operator puts on what it
 * deploys, and the "upload secret" that hands it a token. Names and marks are the RemoteSecret operator's
 * (api/v1beta1/constants.go, controllers/tokenupload_controller.go).
 */
import { type Redacted, Schema } from "effect"
import * as DockerConfig from "./DockerConfig.ts"
import { ownerKind as imageRepositoryKind } from "./ImageRepository.ts"
import type { ObjectMeta } from "./ObjectMeta.ts"
import { ObjectMeta as ObjectMetaSchema } from "./ObjectMeta.ts"
import { dockerConfigJsonKey, dockerConfigJsonType, internalLabel, type Secret } from "./Secret.ts"

export const group = "appstudio.redhat.com"
export const version = "v1beta1"
export const apiVersion = `${group}/${version}`
export const kind = "RemoteSecret"
export const plural = "remotesecrets"

/** The TokenUpload controller consumes (and deletes) every Secret with this label and value. */
export const uploadSecretLabel = "appstudio.redhat.com/upload-secret"
export const uploadSecretLabelValue = "remotesecret"
/** On the upload Secret: the RemoteSecret (same namespace) the data goes into. */
export const remoteSecretNameAnnotation = "appstudio.redhat.com/remotesecret-name"
/** On a deployed Secret: `<namespace>/<name>` of the RemoteSecret that manages it. */
export const managingRemoteSecretAnnotation = "appstudio.redhat.com/managing-remote-secret"
/** On deployed Secrets and linked ServiceAccounts. */
export const linkedByRemoteSecretLabel = "appstudio.redhat.com/linked-by-remote-secret"
export const linkedRemoteSecretsAnnotation = "appstudio.redhat.com/linked-remote-secrets"

/** The upload Secret's name convention of the era (image-controller at 3296e49). */
export const uploadSecretName = (remoteSecretName: string): string => `upload-secret-${remoteSecretName}`

export const ServiceAccountLink = Schema.Struct({
  serviceAccount: Schema.optional(
    Schema.Struct({
      as: Schema.optional(Schema.String),
      reference: Schema.optional(Schema.Struct({ name: Schema.String }))
    })
  )
})

export const LinkableSecretSpec = Schema.Struct({
  name: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  linkedTo: Schema.optional(Schema.Array(ServiceAccountLink))
})

export const Target = Schema.Struct({
  namespace: Schema.String,
  apiUrl: Schema.optional(Schema.String),
  clusterCredentialsSecret: Schema.optional(Schema.String)
})
export type Target = typeof Target.Type

export const StatusTarget = Schema.Struct({
  namespace: Schema.optional(Schema.String),
  apiUrl: Schema.optional(Schema.String),
  deployedSecret: Schema.optional(Schema.Struct({ name: Schema.optional(Schema.String) })),
  error: Schema.optional(Schema.String)
})

export const RemoteSecret = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: ObjectMetaSchema,
  spec: Schema.optional(
    Schema.Struct({
      secret: Schema.optional(LinkableSecretSpec),
      targets: Schema.optional(Schema.Array(Target))
    })
  ),
  status: Schema.optional(
    Schema.Struct({
      conditions: Schema.optional(
        Schema.Array(Schema.Struct({ type: Schema.String, status: Schema.String, reason: Schema.optional(Schema.String) }))
      ),
      targets: Schema.optional(Schema.Array(StatusTarget))
    })
  )
})
export type RemoteSecret = typeof RemoteSecret.Type

type Owner = { readonly metadata: ObjectMeta }

/** What one of an ImageRepository's RemoteSecrets must say: its Secret, the accounts it links, where it goes. */
export interface Desired {
  readonly name: string
  /** ServiceAccounts (in each target) whose `secrets` list the deployed Secret. */
  readonly linkedTo: ReadonlyArray<string>
  readonly targets: ReadonlyArray<Target>
  readonly labels: Readonly<Record<string, string>>
}

/** The spec this operator owns; `as` is left to the CRD's default (`secret`), as the original did. */
export const specOf = (desired: Desired) => ({
  secret: {
    name: desired.name,
    type: dockerConfigJsonType,
    linkedTo: desired.linkedTo.map((name) => ({ serviceAccount: { reference: { name } } }))
  },
  targets: desired.targets
})

const ownerReference = (owner: Owner) => ({
  apiVersion: imageRepositoryKind.apiVersion,
  kind: imageRepositoryKind.kind,
  name: owner.metadata.name,
  uid: owner.metadata.uid ?? ""
})

/** A RemoteSecret owned by the ImageRepository (non-controller, as `SetOwnerReference` made it): GC removes it. */
export const make = (owner: Owner, desired: Desired): RemoteSecret => ({
  apiVersion,
  kind,
  metadata: {
    name: desired.name,
    namespace: owner.metadata.namespace ?? "",
    labels: { [internalLabel]: "true", ...desired.labels },
    ownerReferences: [ownerReference(owner)]
  },
  spec: specOf(desired)
})

export const isOwnedBy = (object: { readonly metadata: ObjectMeta }, owner: Owner): boolean =>
  (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid)

/** Whether the RemoteSecret says what it must (the spec fields this operator owns; others are left alone). */
export const conforms = (remoteSecret: RemoteSecret, desired: Desired): boolean => {
  const want = specOf(desired)
  const have = remoteSecret.spec
  return (
    have?.secret?.name === want.secret.name &&
    have.secret.type === want.secret.type &&
    JSON.stringify((have.secret.linkedTo ?? []).map((l) => l.serviceAccount?.reference?.name)) ===
      JSON.stringify(desired.linkedTo) &&
    (have.secret.linkedTo ?? []).every((l) => l.serviceAccount?.as === undefined || l.serviceAccount.as === "secret") &&
    JSON.stringify(canonicalTargets(have.targets ?? [])) === JSON.stringify(canonicalTargets(desired.targets))
  )
}

const canonicalTargets = (targets: ReadonlyArray<Target>) =>
  targets.map((t) => [t.namespace, t.apiUrl ?? "", t.clusterCredentialsSecret ?? ""].join("|")).sort()

/** Targets without repeats: the RemoteSecret operator allows one per namespace and cluster. */
export const distinctTargets = (targets: ReadonlyArray<Target>): ReadonlyArray<Target> => {
  const seen = new Set<string>()
  return targets.filter((t) => {
    const key = `${t.namespace}|${t.apiUrl ?? ""}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * The upload Secret that hands a robot's token to the RemoteSecret: the TokenUpload controller stores its data and
 * deletes it. Owned by the ImageRepository too, so one nobody consumed goes with it.
 */
export const uploadSecret = (
  owner: Owner,
  remoteSecretName: string,
  input: { readonly imagePath: string; readonly username: string; readonly token: Redacted.Redacted<string> }
): Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    name: uploadSecretName(remoteSecretName),
    namespace: owner.metadata.namespace ?? "",
    labels: { [uploadSecretLabel]: uploadSecretLabelValue },
    annotations: { [remoteSecretNameAnnotation]: remoteSecretName },
    ownerReferences: [ownerReference(owner)]
  },
  type: dockerConfigJsonType,
  data: {
    [dockerConfigJsonKey]: Buffer.from(DockerConfig.render(input.imagePath, input.username, input.token)).toString(
      "base64"
    )
  }
})

/** `<namespace>/<name>`, as the RemoteSecret operator marks what it manages. */
export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`

/** Whether a Secret was deployed by the RemoteSecret `<namespace>/<name>`. */
export const isDeployedBy = (secret: Secret, namespace: string, name: string): boolean =>
  secret.metadata.annotations?.[managingRemoteSecretAnnotation] === keyOf(namespace, name)

/**
 * The merge patch that takes a deployed Secret back from the RemoteSecret operator: its marks go, so removing the
 * RemoteSecret no longer deletes it.
 */
export const releaseMarks = {
  metadata: {
    labels: { [linkedByRemoteSecretLabel]: null },
    annotations: { [managingRemoteSecretAnnotation]: null, [linkedRemoteSecretsAnnotation]: null }
  }
} as const

/** The condition the RemoteSecret operator sets once it holds data (DataObtained=True). */
export const hasData = (remoteSecret: RemoteSecret): boolean =>
  (remoteSecret.status?.conditions ?? []).some((c) => c.type === "DataObtained" && c.status === "True")
