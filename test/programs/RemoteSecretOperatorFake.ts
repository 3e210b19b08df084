/**
 * What the RemoteSecret operator (redhat-appstudio/remote-secret) does with what this operator writes, reduced to its
 * observable effect on the in-memory apiserver: its TokenUpload controller stores each upload Secret's data into the
 * RemoteSecret the annotation names and deletes the upload Secret; its RemoteSecret controller deploys a Secret of
 * `spec.secret.name` into every local target, marked as it marks them, and appends it to each linked account's
 * `secrets`. Enough for program tests to show that what reaches a namespace is a working credential.
 */
import { Effect, Option, Schema } from "effect"
import * as RemoteSecretDomain from "../../src/domain/RemoteSecret.ts"
import { Secret as SecretSchema } from "../../src/domain/Secret.ts"
import { ServiceAccount as ServiceAccountSchema } from "../../src/domain/ServiceAccount.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"

export interface RemoteSecretOperatorFake {
  /** The data each RemoteSecret holds (`namespace/name` → data), as its secret storage would. */
  readonly stored: Map<string, Record<string, string>>
  /** One round of both controllers. */
  readonly run: Effect.Effect<void, unknown, KubernetesInMemory.KubernetesControl>
}

const decodeSecret = Schema.decodeUnknownSync(SecretSchema)
const decodeRemoteSecret = Schema.decodeUnknownSync(RemoteSecretDomain.RemoteSecret)
const decodeServiceAccount = Schema.decodeUnknownSync(ServiceAccountSchema)

export const make = (): RemoteSecretOperatorFake => {
  const stored = new Map<string, Record<string, string>>()
  const run = Effect.gen(function*() {
    const k = yield* KubernetesInMemory.KubernetesControl
    const all = yield* k.snapshot
    const secrets = all.filter((o) => o["kind"] === "Secret").map((o) => decodeSecret(o))
    for (const upload of secrets) {
      if (upload.metadata.labels?.[RemoteSecretDomain.uploadSecretLabel] !== RemoteSecretDomain.uploadSecretLabelValue) continue
      const name = upload.metadata.annotations?.[RemoteSecretDomain.remoteSecretNameAnnotation] ?? ""
      yield* k.remove(Kinds.Secret, { namespace: upload.metadata.namespace ?? "", name: upload.metadata.name })
      stored.set(RemoteSecretDomain.keyOf(upload.metadata.namespace ?? "", name), { ...upload.data })
    }
    const remoteSecrets = all.filter((o) => o["kind"] === "RemoteSecret").map((o) => decodeRemoteSecret(o))
    for (const rs of remoteSecrets) {
      const namespace = rs.metadata.namespace ?? ""
      const key = RemoteSecretDomain.keyOf(namespace, rs.metadata.name)
      const data = stored.get(key)
      const secretName = rs.spec?.secret?.name
      if (data === undefined || secretName === undefined) continue
      for (const target of rs.spec?.targets ?? []) {
        if (target.apiUrl !== undefined) continue
        const existing = yield* k.getRaw(Kinds.Secret, { namespace: target.namespace, name: secretName })
        const current = Option.map(existing, decodeSecret)
        yield* k.put(Kinds.Secret, {
          apiVersion: "v1",
          kind: "Secret",
          metadata: {
            ...Option.match(current, { onNone: () => ({}), onSome: (s) => s.metadata }),
            name: secretName,
            namespace: target.namespace,
            labels: {
              ...Option.match(current, { onNone: () => ({}), onSome: (s) => s.metadata.labels }),
              [RemoteSecretDomain.linkedByRemoteSecretLabel]: "true"
            },
            annotations: {
              [RemoteSecretDomain.managingRemoteSecretAnnotation]: key,
              [RemoteSecretDomain.linkedRemoteSecretsAnnotation]: key
            }
          },
          type: rs.spec?.secret?.type ?? "Opaque",
          data
        })
        for (const link of rs.spec?.secret?.linkedTo ?? []) {
          const account = link.serviceAccount?.reference?.name
          if (account === undefined) continue
          const raw = yield* k.getRaw(Kinds.ServiceAccount, { namespace: target.namespace, name: account })
          if (Option.isNone(raw)) continue
          const sa = decodeServiceAccount(raw.value)
          if ((sa.secrets ?? []).some((s) => s.name === secretName)) continue
          yield* k.patch(Kinds.ServiceAccount, { namespace: target.namespace, name: account }, {
            secrets: [...(sa.secrets ?? []), { name: secretName }]
          })
        }
      }
    }
  })
  return { stored, run }
}
