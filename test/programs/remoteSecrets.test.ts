/**
 * RemoteSecret mode on the in-memory layers: the spec's `push-remote-secret` / `pull-remote-secret`, the
 * RemoteSecrets and their upload Secrets as the RemoteSecret operator expects them, the pull Secret's propagation to
 * the Application's Environments, regenerate-token, repair and verify-linking; and switching modes either way
 * without a moment without a working Secret. A fake of the RemoteSecret operator (RemoteSecretOperatorFake.ts)
 * stands in for the real one to show what reaches the namespace works.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import * as RemoteSecretDomain from "../../src/domain/RemoteSecret.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as ProgramSettings from "../../src/services/ProgramSettings.ts"
import type { ProgramSettingsOptions } from "../../src/services/ProgramSettings.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import * as Fake from "./RemoteSecretOperatorFake.ts"
import {
  applyImageRepository,
  componentLabels,
  converge,
  editImageRepository,
  getSecret,
  linksOf,
  mustGetImageRepository,
  namespace,
  organization,
  pipelineAccount,
  putServiceAccount,
  secretGrants,
  world
} from "./World.ts"

const remote: ProgramSettingsOptions = {
  pipelineServiceAccount: pipelineAccount,
  credentialDelivery: "remote-secrets",
  remoteSecretsServed: true
}
const secretsServed: ProgramSettingsOptions = {
  pipelineServiceAccount: pipelineAccount,
  credentialDelivery: "secrets",
  remoteSecretsServed: true
}
const secretsOnly: ProgramSettingsOptions = { pipelineServiceAccount: pipelineAccount, credentialDelivery: "secrets" }

const inMode = (settings: ProgramSettingsOptions) => Effect.provideService(ProgramSettings.ProgramSettings, settings)

const getRemoteSecret = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.get(Kinds.RemoteSecret, { namespace, name })).pipe(Effect.map(Option.getOrUndefined))

const control = KubernetesInMemory.KubernetesControl

const putEnvironment = (
  name: string,
  spec: Record<string, unknown>,
  labels: Record<string, string> = {},
  environmentNamespace = namespace
) =>
  Effect.flatMap(control, (k) =>
    k.put(Kinds.Environment, {
      apiVersion: "appstudio.redhat.com/v1alpha1",
      kind: "Environment",
      metadata: { name, namespace: environmentNamespace, labels },
      spec: { displayName: name, deploymentStrategy: "Manual", ...spec }
    }))

/** An Environment that deploys to `targetNamespace` (the era's `managed` tag and kubernetesCredentials). */
const managedEnvironment = (targetNamespace: string, apiURL = "") => ({
  tags: ["managed"],
  unstableConfigurationFields: {
    kubernetesCredentials: { targetNamespace, apiURL, clusterCredentialsSecret: apiURL === "" ? "" : "cluster-creds", allowInsecureSkipTLSVerify: false }
  }
})

const provisioned = (name: string, extra: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    yield* applyImageRepository(name, undefined, extra)
    yield* converge(name)
    return yield* mustGetImageRepository(name)
  })

/** The robot name and token an upload Secret hands over for the object's image. */
const uploaded = (ir: ImageRepository, remoteSecret: string) =>
  Effect.map(getSecret(RemoteSecretDomain.uploadSecretName(remoteSecret)), (secret) =>
    secret === undefined
      ? undefined
      : Option.getOrUndefined(
        Option.map(RobotSecret.credentialsIn(secret, ir.status?.image?.url ?? ""), (c) => ({
          username: c.username,
          token: Redacted.value(c.token)
        }))
      ))

const ownerOf = (ir: ImageRepository) => ({ apiVersion: "appstudio.redhat.com/v1alpha1", kind: "ImageRepository", name: ir.metadata.name, uid: ir.metadata.uid })

describe("RemoteSecret mode: the spec's general-purpose example", () => {
  it.effect("status.credentials names the push RemoteSecret next to the push Secret, as the spec shows", () =>
    Effect.gen(function*() {
      const ir = yield* provisioned("imagerepository-sample")
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.credentials).toEqual({
        generationTimestamp: "1970-01-01T00:00:00Z",
        "push-robot-account": expect.stringMatching(/^test_ns_imagerepository_sample_[0-9a-f]{10}$/),
        "push-remote-secret": "imagerepository-sample-image-push",
        "push-secret": "imagerepository-sample-image-push"
      })
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("the push RemoteSecret is owned by the object, dockerconfigjson, targets the namespace; its token comes by upload Secret", () =>
    Effect.gen(function*() {
      const ir = yield* provisioned("sample")
      const rs = yield* getRemoteSecret("sample-image-push")
      expect(rs?.metadata.labels).toEqual({ "appstudio.redhat.com/internal": "true" })
      expect(rs?.metadata.ownerReferences).toEqual([ownerOf(ir)])
      expect(rs?.spec).toEqual({
        secret: { name: "sample-image-push", type: "kubernetes.io/dockerconfigjson", linkedTo: [] },
        targets: [{ namespace }]
      })
      const upload = yield* getSecret("upload-secret-sample-image-push")
      expect(upload?.type).toBe("kubernetes.io/dockerconfigjson")
      expect(upload?.metadata.labels).toEqual({ "appstudio.redhat.com/upload-secret": "remotesecret" })
      expect(upload?.metadata.annotations).toEqual({ "appstudio.redhat.com/remotesecret-name": "sample-image-push" })
      expect(upload?.metadata.ownerReferences).toEqual([ownerOf(ir)])
      expect((yield* uploaded(ir, "sample-image-push"))?.username).toBe(
        `${organization}+${ir.status?.credentials?.["push-robot-account"]}`
      )
      // The RemoteSecret operator deploys the Secret: the operator does not write it itself.
      expect(yield* getSecret("sample-image-push")).toBeUndefined()
      // No token in status.
      const token = (yield* uploaded(ir, "sample-image-push"))?.token ?? "missing"
      expect(JSON.stringify(ir.status)).not.toContain(token)
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("what the RemoteSecret operator deploys from it pushes to exactly the object's repository", () =>
    Effect.gen(function*() {
      const fake = Fake.make()
      const ir = yield* provisioned("sample")
      yield* fake.run
      expect(yield* getSecret("upload-secret-sample-image-push")).toBeUndefined()
      expect((yield* getSecret("sample-image-push"))?.metadata.annotations?.[RemoteSecretDomain.managingRemoteSecretAnnotation])
        .toBe(`${namespace}/sample-image-push`)
      expect(yield* secretGrants(ir, "test-ns/sample", "push")).toBe(true)
      expect(yield* converge("sample")).toBe(1)
    }).pipe(Effect.provide(world("paid", remote))))
})

describe("RemoteSecret mode: the spec's component example", () => {
  const sample = "imagerepository-for-component-sample"
  const labels = componentLabels("my-component", "my-app")

  it.effect("status.credentials carries push-remote-secret and pull-remote-secret as the spec shows", () =>
    Effect.gen(function*() {
      const ir = yield* provisioned(sample, labels)
      expect(ir.status?.credentials).toEqual({
        generationTimestamp: "1970-01-01T00:00:00Z",
        "push-robot-account": expect.stringMatching(/^test_ns_imagerepository_for_component_sample_[0-9a-f]{10}$/),
        "push-remote-secret": "imagerepository-for-component-sample-image-push",
        "push-secret": "imagerepository-for-component-sample-image-push",
        "pull-robot-account": expect.stringMatching(/^test_ns_imagerepository_for_component_sample_[0-9a-f]{10}_pull$/),
        "pull-remote-secret": "imagerepository-for-component-sample-image-pull",
        "pull-secret": "imagerepository-for-component-sample-image-pull"
      })
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("push links the pipeline account; pull links default and goes to every Environment of the Application", () =>
    Effect.gen(function*() {
      yield* putEnvironment("development", {})
      yield* putEnvironment("staging", managedEnvironment("staging-ns"))
      yield* putEnvironment("production", managedEnvironment("prod-ns", "https://prod.example.com:6443"))
      yield* putEnvironment("elsewhere", managedEnvironment("other-app-ns"), { "appstudio.redhat.com/application": "other-app" })
      yield* putEnvironment("other-namespace", managedEnvironment("foreign-ns"), {}, "another-ns")
      const ir = yield* provisioned("c", componentLabels("comp", "app"))
      const push = yield* getRemoteSecret("c-image-push")
      expect(push?.spec?.secret?.linkedTo).toEqual([{ serviceAccount: { reference: { name: pipelineAccount } } }])
      expect(push?.spec?.targets).toEqual([{ namespace }])
      const pull = yield* getRemoteSecret("c-image-pull")
      expect(pull?.metadata.ownerReferences).toEqual([ownerOf(ir)])
      expect(pull?.metadata.labels).toEqual({
        "appstudio.redhat.com/internal": "true",
        "appstudio.redhat.com/application": "app",
        "appstudio.redhat.com/component": "comp"
      })
      expect(pull?.spec?.secret).toEqual({
        name: "c-image-pull",
        type: "kubernetes.io/dockerconfigjson",
        linkedTo: [{ serviceAccount: { reference: { name: "default" } } }]
      })
      expect(pull?.spec?.targets).toEqual([
        { namespace },
        { namespace: "prod-ns", apiUrl: "https://prod.example.com:6443", clusterCredentialsSecret: "cluster-creds" },
        { namespace: "staging-ns" }
      ])
      const pullUpload = yield* uploaded(ir, "c-image-pull")
      expect(pullUpload?.username).toBe(`${organization}+${ir.status?.credentials?.["pull-robot-account"]}`)

      // What the RemoteSecret operator makes of them: linked Secrets that work.
      yield* putServiceAccount(pipelineAccount)
      yield* putServiceAccount("default")
      const fake = Fake.make()
      yield* fake.run
      expect(yield* secretGrants(ir, "test-ns/app/comp", "push", "push")).toBe(true)
      expect(yield* secretGrants(ir, "test-ns/app/comp", "pull", "pull")).toBe(true)
      expect(yield* secretGrants(ir, "test-ns/app/comp", "push", "pull")).toBe(false)
      expect((yield* linksOf("default"))?.secrets).toEqual(["c-image-pull"])
      expect((yield* linksOf(pipelineAccount))?.secrets).toEqual(["c-image-push"])
      const staged = yield* Effect.flatMap(control, (k) => k.getRaw(Kinds.Secret, { namespace: "staging-ns", name: "c-image-pull" }))
      expect(Option.isSome(staged)).toBe(true)
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("a new Environment gets the pull Secret on the next reconcile; a removed one is no longer a target", () =>
    Effect.gen(function*() {
      yield* provisioned("c", componentLabels())
      expect((yield* getRemoteSecret("c-image-pull"))?.spec?.targets).toEqual([{ namespace }])
      yield* putEnvironment("qa", managedEnvironment("qa-ns"))
      yield* converge("c")
      expect((yield* getRemoteSecret("c-image-pull"))?.spec?.targets).toEqual([{ namespace }, { namespace: "qa-ns" }])
      // The push RemoteSecret is not sent to Environments.
      expect((yield* getRemoteSecret("c-image-push"))?.spec?.targets).toEqual([{ namespace }])
      yield* Effect.flatMap(control, (k) => k.remove(Kinds.Environment, { namespace, name: "qa" }))
      yield* converge("c")
      expect((yield* getRemoteSecret("c-image-pull"))?.spec?.targets).toEqual([{ namespace }])
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("without the Environment API the pull RemoteSecret targets the namespace, and nothing fails", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(control, (k) => k.setServed(Kinds.Environment, false))
      const ir = yield* provisioned("c", componentLabels())
      expect(ir.status?.state).toBe("ready")
      expect((yield* getRemoteSecret("c-image-pull"))?.spec?.targets).toEqual([{ namespace }])
    }).pipe(Effect.provide(world("paid", remote))))
})

describe("RemoteSecret mode: day-2 operations", () => {
  it.effect("regenerate-token uploads the new token to each RemoteSecret; the deployed Secrets then hold it", () =>
    Effect.gen(function*() {
      const fake = Fake.make()
      const ir = yield* provisioned("c", componentLabels())
      yield* fake.run
      const before = yield* getSecret("c-image-push")
      yield* editImageRepository("c", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("c")
      const after = yield* mustGetImageRepository("c")
      expect(after.spec?.credentials?.["regenerate-token"]).toBeUndefined()
      const push = yield* uploaded(after, "c-image-push")
      const pull = yield* uploaded(after, "c-image-pull")
      expect(push?.username).toBe(`${organization}+${ir.status?.credentials?.["push-robot-account"]}`)
      expect(pull).toBeDefined()
      yield* fake.run
      expect((yield* getSecret("c-image-push"))?.data).not.toEqual(before?.data)
      expect(yield* secretGrants(after, "test-ns/app/comp", "push", "push")).toBe(true)
      expect(yield* secretGrants(after, "test-ns/app/comp", "pull", "pull")).toBe(true)
      expect(after.status?.credentials?.["push-remote-secret"]).toBe("c-image-push")
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("a deleted RemoteSecret is created again with the robot's current token", () =>
    Effect.gen(function*() {
      const fake = Fake.make()
      const ir = yield* provisioned("sample")
      yield* fake.run
      yield* Effect.flatMap(control, (k) => k.remove(Kinds.RemoteSecret, { namespace, name: "sample-image-push" }))
      yield* converge("sample")
      expect((yield* getRemoteSecret("sample-image-push"))?.metadata.ownerReferences).toEqual([ownerOf(ir)])
      const upload = yield* uploaded(ir, "sample-image-push")
      expect(upload?.username).toBe(`${organization}+${ir.status?.credentials?.["push-robot-account"]}`)
      yield* fake.run
      expect(yield* secretGrants(ir, "test-ns/sample", "push")).toBe(true)
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("a RemoteSecret whose links or targets someone changed is put back", () =>
    Effect.gen(function*() {
      yield* provisioned("c", componentLabels())
      yield* Effect.flatMap(control, (k) =>
        k.patch(Kinds.RemoteSecret, { namespace, name: "c-image-push" }, {
          spec: { secret: { linkedTo: [{ serviceAccount: { reference: { name: "someone" }, as: "imagePullSecret" } }] }, targets: [{ namespace: "elsewhere" }] }
        }))
      yield* converge("c")
      expect((yield* getRemoteSecret("c-image-push"))?.spec).toEqual({
        secret: { name: "c-image-push", type: "kubernetes.io/dockerconfigjson", linkedTo: [{ serviceAccount: { reference: { name: pipelineAccount } } }] },
        targets: [{ namespace }]
      })
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("verify-linking checks the RemoteSecrets' linkedTo and the deployed Secrets' links", () =>
    Effect.gen(function*() {
      const fake = Fake.make()
      yield* putServiceAccount(pipelineAccount)
      yield* putServiceAccount("default")
      yield* provisioned("c", componentLabels())
      yield* fake.run
      // Broken: the pipeline account lists the push Secret twice and as a pull secret; default lost its link;
      // the pull RemoteSecret no longer links default.
      yield* putServiceAccount(pipelineAccount, ["c-image-push", "c-image-push"], ["c-image-push"])
      yield* putServiceAccount("default", [], [])
      yield* Effect.flatMap(control, (k) =>
        k.patch(Kinds.RemoteSecret, { namespace, name: "c-image-pull" }, { spec: { secret: { linkedTo: [] } } }))
      yield* editImageRepository("c", { spec: { credentials: { "verify-linking": true } } })
      yield* converge("c")
      expect((yield* mustGetImageRepository("c")).spec?.credentials?.["verify-linking"]).toBeUndefined()
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["c-image-push"], imagePullSecrets: [] })
      expect(yield* linksOf("default")).toEqual({ secrets: ["c-image-pull"], imagePullSecrets: [] })
      expect((yield* getRemoteSecret("c-image-pull"))?.spec?.secret?.linkedTo).toEqual([
        { serviceAccount: { reference: { name: "default" } } }
      ])
    }).pipe(Effect.provide(world("paid", remote))))

  it.effect("a RemoteSecret of the name that is not the object's is left alone", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(control, (k) =>
        k.put(Kinds.RemoteSecret, {
          apiVersion: "appstudio.redhat.com/v1beta1",
          kind: "RemoteSecret",
          metadata: { name: "sample-image-push", namespace },
          spec: { secret: { name: "theirs" }, targets: [{ namespace: "theirs" }] }
        }))
      yield* applyImageRepository("sample")
      yield* converge("sample")
      expect((yield* getRemoteSecret("sample-image-push"))?.spec).toEqual({ secret: { name: "theirs" }, targets: [{ namespace: "theirs" }] })
      expect(yield* getSecret("upload-secret-sample-image-push")).toBeUndefined()
      expect((yield* mustGetImageRepository("sample")).status?.message).toContain("RemoteSecret 'sample-image-push' already exists")
    }).pipe(Effect.provide(world("paid", remote))))
})

describe("switching modes keeps a working credential", () => {
  it.effect("Secret mode to RemoteSecret mode: the Secret stays until the RemoteSecret operator takes it over", () =>
    Effect.gen(function*() {
      const fake = Fake.make()
      const ir = yield* provisioned("c", componentLabels())
      expect((yield* getRemoteSecret("c-image-push"))).toBeUndefined()
      expect(ir.status?.credentials?.["push-remote-secret"]).toBeUndefined()
      yield* converge("c").pipe(inMode(remote))
      const switched = yield* mustGetImageRepository("c")
      expect(switched.status?.credentials?.["push-remote-secret"]).toBe("c-image-push")
      expect(switched.status?.credentials?.["pull-remote-secret"]).toBe("c-image-pull")
      expect(yield* getRemoteSecret("c-image-push")).toBeDefined()
      // Nothing deployed yet: the Secret the operator wrote still works.
      expect(yield* secretGrants(switched, "test-ns/app/comp", "push")).toBe(true)
      yield* fake.run
      expect(yield* secretGrants(switched, "test-ns/app/comp", "push")).toBe(true)
      expect(yield* secretGrants(switched, "test-ns/app/comp", "pull", "pull")).toBe(true)
    }).pipe(Effect.provide(world("paid", secretsOnly))))

  it.effect("RemoteSecret mode to Secret mode, API still served: the deployed Secret is taken back, then the RemoteSecret retired", () =>
    Effect.gen(function*() {
      const fake = Fake.make()
      const ir = yield* provisioned("c", componentLabels()).pipe(inMode(remote))
      yield* fake.run
      yield* converge("c").pipe(inMode(secretsServed))
      for (const name of ["c-image-push", "c-image-pull"]) {
        const secret = yield* getSecret(name)
        expect(secret?.metadata.ownerReferences).toEqual([{ ...ownerOf(ir), controller: true, blockOwnerDeletion: true }])
        expect(secret?.metadata.annotations?.[RemoteSecretDomain.managingRemoteSecretAnnotation]).toBeUndefined()
        expect(secret?.metadata.labels?.[RemoteSecretDomain.linkedByRemoteSecretLabel]).toBeUndefined()
        expect(yield* getRemoteSecret(name)).toBeUndefined()
      }
      const after = yield* mustGetImageRepository("c")
      expect(after.status?.credentials?.["push-remote-secret"]).toBeUndefined()
      expect(after.status?.credentials?.["pull-remote-secret"]).toBeUndefined()
      expect(after.status?.credentials?.["push-secret"]).toBe("c-image-push")
      expect(yield* secretGrants(after, "test-ns/app/comp", "push")).toBe(true)
      expect(yield* secretGrants(after, "test-ns/app/comp", "pull", "pull")).toBe(true)
    }).pipe(Effect.provide(world("paid", secretsServed))))

  it.effect("RemoteSecret mode to Secret mode with the API removed: the Secret left behind is adopted and kept working", () =>
    Effect.gen(function*() {
      const fake = Fake.make()
      const ir = yield* provisioned("sample").pipe(inMode(remote))
      yield* fake.run
      yield* Effect.flatMap(control, (k) => k.remove(Kinds.RemoteSecret, { namespace, name: "sample-image-push" }))
      yield* Effect.flatMap(control, (k) => k.setServed(Kinds.RemoteSecret, false))
      yield* converge("sample").pipe(inMode({ ...secretsServed, remoteSecretsServed: false }))
      const secret = yield* getSecret("sample-image-push")
      // Deployed by the object's RemoteSecret, which is gone with its API: taken back, not refused as someone else's.
      expect(secret?.metadata.ownerReferences).toEqual([{ ...ownerOf(ir), controller: true, blockOwnerDeletion: true }])
      expect(secret?.metadata.annotations?.[RemoteSecretDomain.managingRemoteSecretAnnotation]).toBeUndefined()
      expect(yield* secretGrants(ir, "test-ns/sample", "push")).toBe(true)
    }).pipe(Effect.provide(world("paid", secretsServed))))
})
