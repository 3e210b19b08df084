import { Option, type Redacted } from "effect"
import * as DockerConfig from "./DockerConfig.ts"
import { ownerKindOf } from "./ImageRepositoryGroup.ts"
import type { ObjectMeta, OwnerKind } from "./ObjectMeta.ts"
import {
  dockerConfigJsonKey,
  dockerConfigJsonType,
  internalLabel,
  managedByLabel,
  managedByValue,
  type Secret
} from "./Secret.ts"

/** The operator's labels: its Secret informer watches only Secrets that carry them. */
export const labels = { [managedByLabel]: managedByValue, [internalLabel]: "true" } as const

export const isLabelled = (secret: Secret): boolean =>
  Object.entries(labels).every(([key, value]) => secret.metadata.labels?.[key] === value)

/** What a robot Secret may belong to: an ImageRepository, or a Component of the legacy flow. */
type Owner = { readonly apiVersion?: string | undefined; readonly metadata: ObjectMeta }

export const isOwnedBy = (secret: Secret, owner: Owner): boolean =>
  (secret.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid)

/**
 * Left behind by an earlier ImageRepository of the same name (deleted and created again, as the spec tells users
 * to retry): garbage collection removes it in the background, so the new object may meet it first.
 */
export const isLeftByPredecessor = (secret: Secret, owner: Owner, kind: OwnerKind = ownerKindOf(owner)): boolean =>
  (secret.metadata.ownerReferences ?? []).some(
    (ref) =>
      ref.apiVersion === kind.apiVersion && ref.kind === kind.kind && ref.name === owner.metadata.name &&
      ref.uid !== owner.metadata.uid
  )

/**
 * A robot's Secret (the push Secret, a component repository's pull Secret): a dockerconfigjson for exactly one
 * image path, owned by its object (GC deletes it).
 */
export const make = (
  owner: Owner,
  input: {
    readonly name: string
    readonly imagePath: string
    readonly username: string
    readonly token: Redacted.Redacted<string>
  },
  kind: OwnerKind = ownerKindOf(owner)
): Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    name: input.name,
    namespace: owner.metadata.namespace ?? "",
    labels,
    ownerReferences: [
      {
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        name: owner.metadata.name,
        uid: owner.metadata.uid ?? "",
        controller: true,
        blockOwnerDeletion: true
      }
    ]
  },
  type: dockerConfigJsonType,
  data: {
    [dockerConfigJsonKey]: Buffer.from(DockerConfig.render(input.imagePath, input.username, input.token)).toString(
      "base64"
    )
  }
})

/** The credentials a Secret holds for an image path. */
export const credentialsIn = (secret: Secret, imagePath: string): Option.Option<DockerConfig.Credentials> =>
  secret.type !== dockerConfigJsonType
    ? Option.none()
    : Option.fromNullable(secret.data?.[dockerConfigJsonKey]).pipe(
        Option.flatMap((encoded) =>
          DockerConfig.credentialsFor(Buffer.from(encoded, "base64").toString("utf8"), imagePath)
        )
      )

/** Whether a Secret still carries credentials of this robot for this image path (the token itself cannot be checked without Quay). */
export const holdsRobot = (secret: Secret, imagePath: string, username: string): boolean =>
  Option.exists(credentialsIn(secret, imagePath), (c) => c.username === username)
