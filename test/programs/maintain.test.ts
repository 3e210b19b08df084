import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { verifySecretLinks, verifySecretReferences } from "../../src/programs/serviceAccountLinks.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  applyImageRepository,
  componentLabels,
  converge,
  deleteImageRepository,
  editImageRepository,
  getSecret,
  linksOf,
  mustGetImageRepository,
  namespace,
  pipelineAccount,
  putServiceAccount,
  quaySnapshot,
  reconcileThrough,
  secretGrants,
  statusWrite,
  world
} from "./World.ts"

const provisioned = (name: string, spec?: Record<string, unknown>, extra?: Record<string, unknown>) =>
  Effect.gen(function*() {
    yield* applyImageRepository(name, spec, extra)
    yield* converge(name)
    return yield* mustGetImageRepository(name)
  })

const repositoryVisibility = (name: string) =>
  Effect.map(quaySnapshot, (s) => s.repositories.find((r) => r.name === `${namespace}/${name}`)?.visibility)

describe("visibility", () => {
  it.effect("can change at any time, both ways; success clears status.message", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      yield* editImageRepository("sample", { spec: { image: { visibility: "private" } } })
      yield* converge("sample")
      expect(yield* repositoryVisibility("sample")).toBe("private")
      expect((yield* mustGetImageRepository("sample")).status?.image?.visibility).toBe("private")
      yield* editImageRepository("sample", { spec: { image: { visibility: "public" } } })
      yield* converge("sample")
      expect(yield* repositoryVisibility("sample")).toBe("public")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.status?.image?.visibility).toBe("public")
      expect(ir.status?.message).toBeUndefined()
    }).pipe(Effect.provide(world("paid"))))

  it.effect("private after creation on a free plan: message set, spec reverted to public, still ready", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      yield* editImageRepository("sample", { spec: { image: { visibility: "private" } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.spec?.image?.visibility).toBe("public")
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.message).toBe("Quay organization plan private repositories limit exceeded")
      expect(ir.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
        status: "True",
        reason: "ChangeReverted"
      })
      expect(yield* repositoryVisibility("sample")).toBe("public")
    }).pipe(Effect.provide(world("free"))))

  it.effect("the message of a reverted change stays until the next successful operation clears it", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      const quay = yield* QuayInMemory.QuayControl
      yield* editImageRepository("sample", { spec: { image: { visibility: "private" } } })
      yield* converge("sample")
      yield* converge("sample")
      expect((yield* mustGetImageRepository("sample")).status?.message).toBeDefined()
      yield* quay.setPlan("paid")
      yield* editImageRepository("sample", { spec: { image: { visibility: "private" } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.status?.message).toBeUndefined()
      expect(ir.status?.image?.visibility).toBe("private")
    }).pipe(Effect.provide(world("free"))))

  it.effect("an unknown visibility after creation is reverted with a message; Quay is untouched", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.resetCalls
      yield* editImageRepository("sample", { spec: { image: { visibility: "internal" } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.spec?.image?.visibility).toBe("public")
      expect(ir.status?.message).toContain("unknown visibility 'internal'")
      expect((yield* quay.calls).total).toBe(0)
    }).pipe(Effect.provide(world())))

  it.effect("a visibility set in Quay is recorded when its status write loses to a spec edited back meanwhile", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      yield* editImageRepository("sample", { spec: { image: { visibility: "private" } } })
      // Quay is made private; just before the status write, the user puts public back (the write conflicts).
      const back = editImageRepository("sample", { spec: { image: { visibility: "public" } } })
      expect((yield* reconcileThrough("sample", statusWrite, back))._tag).toBe("Left")
      yield* converge("sample")
      expect(yield* repositoryVisibility("sample")).toBe("public")
      expect((yield* mustGetImageRepository("sample")).status?.image?.visibility).toBe("public")
    }).pipe(Effect.provide(world())))

  it.effect("a repository deleted behind the operator's back is created again", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.outOfBand.deleteRepository(`${namespace}/sample`)
      yield* editImageRepository("sample", { spec: { image: { visibility: "private" } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.status?.state).toBe("ready")
      expect(yield* repositoryVisibility("sample")).toBe("private")
      expect(yield* secretGrants(ir, `${namespace}/sample`, "push")).toBe(true)
    }).pipe(Effect.provide(world())))
})

describe("image name", () => {
  it.effect("cannot change after creation: the change is reverted with a message and Quay is untouched", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      yield* editImageRepository("sample", { spec: { image: { name: "renamed" } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.spec?.image?.name).toBe(`${namespace}/sample`)
      expect(ir.status?.message).toContain("Image repository name cannot be changed after creation")
      expect(ir.status?.image?.url).toBe("quay.io/my-org/test-ns/sample")
      expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual([`${namespace}/sample`])
    }).pipe(Effect.provide(world())))

  it.effect("a finalizer removed together with a rename is put back in the same pass that reverts the name", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      // One user edit: the finalizer gone and the name changed.
      yield* editImageRepository("sample", { metadata: { finalizers: null }, spec: { image: { name: "renamed" } } })
      yield* reconcileImageRepository({ namespace, name: "sample" })
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.spec?.image?.name).toBe(`${namespace}/sample`)
      expect(ir.metadata.finalizers).toContain("appstudio.openshift.io/image-repository")
      // A deletion right after that pass still cleans Quay up.
      yield* deleteImageRepository("sample")
      yield* converge("sample")
      expect(yield* quaySnapshot).toMatchObject({ repositories: [], robots: [] })
    }).pipe(Effect.provide(world())))

  it.effect("the same name written with or without the namespace prefix is no change", () =>
    Effect.gen(function*() {
      yield* provisioned("sample", { image: { name: "my-image" } })
      yield* editImageRepository("sample", { spec: { image: { name: `${namespace}/my-image` } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.spec?.image?.name).toBe(`${namespace}/my-image`)
      expect(ir.status?.message).toBeUndefined()
    }).pipe(Effect.provide(world())))
})

describe("credentials", () => {
  it.effect("regenerate-token: new token in the Secret, old one stops working, flag removed, timestamp moved", () =>
    Effect.gen(function*() {
      const before = yield* provisioned("sample")
      const oldSecret = yield* getSecret("sample-image-push")
      yield* TestClock.adjust("1 hour")
      yield* editImageRepository("sample", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(ir.spec?.credentials?.["regenerate-token"]).toBeUndefined()
      expect(ir.status?.credentials?.generationTimestamp).toBe("1970-01-01T01:00:00Z")
      expect(before.status?.credentials?.generationTimestamp).toBe("1970-01-01T00:00:00Z")
      const newSecret = yield* getSecret("sample-image-push")
      expect(newSecret?.data).not.toEqual(oldSecret?.data)
      expect(yield* secretGrants(ir, `${namespace}/sample`, "push")).toBe(true)
      // the old credentials no longer authenticate
      const quay = yield* QuayInMemory.QuayControl
      const oldAuth = JSON.parse(Buffer.from(oldSecret?.data?.[".dockerconfigjson"] ?? "", "base64").toString())
      const [user, token] = Buffer.from(oldAuth.auths["quay.io/my-org/test-ns/sample"].auth, "base64").toString().split(":")
      expect(yield* quay.authorize(user ?? "", Redacted.make(token ?? ""), `${namespace}/sample`, "push")).toBe(false)
    }).pipe(Effect.provide(world())))

  it.effect("regenerate-token re-creates a Secret that was deleted", () =>
    Effect.gen(function*() {
      yield* provisioned("sample")
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* kube.remove(Kinds.Secret, { namespace, name: "sample-image-push" })
      yield* editImageRepository("sample", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      expect(yield* secretGrants(ir, `${namespace}/sample`, "push")).toBe(true)
      expect(ir.spec?.credentials?.["regenerate-token"]).toBeUndefined()
    }).pipe(Effect.provide(world())))

  // Push for every object; pull for a component repository's.
  for (const role of ["push", "pull"] as const) {
    const labels = role === "pull" ? componentLabels() : {}
    const access = role === "push" ? "push" : "pull"
    const repositoryOf = (ir: ImageRepository) => (ir.status?.image?.url ?? "").replace("quay.io/my-org/", "")

    it.effect(`a deleted ${role} Secret is restored with the current token, without rotating it`, () =>
      Effect.gen(function*() {
        const ir = yield* provisioned("sample", undefined, labels)
        const before = yield* getSecret(`sample-image-${role}`)
        const kube = yield* KubernetesInMemory.KubernetesControl
        yield* kube.remove(Kinds.Secret, { namespace, name: `sample-image-${role}` })
        yield* converge("sample")
        const after = yield* getSecret(`sample-image-${role}`)
        expect(after?.data).toEqual(before?.data)
        expect(yield* secretGrants(ir, repositoryOf(ir), access, role)).toBe(true)
        expect((yield* mustGetImageRepository("sample")).status?.credentials?.generationTimestamp).toBe(
          ir.status?.credentials?.generationTimestamp
        )
      }).pipe(Effect.provide(world())))

    it.effect(`a ${role} robot deleted behind the operator's back is re-created on regenerate-token, with its permission`, () =>
      Effect.gen(function*() {
        const ir = yield* provisioned("sample", undefined, labels)
        const quay = yield* QuayInMemory.QuayControl
        yield* quay.outOfBand.deleteRobot(ir.status?.credentials?.[`${role}-robot-account`] ?? "")
        yield* editImageRepository("sample", { spec: { credentials: { "regenerate-token": true } } })
        yield* converge("sample")
        expect(yield* secretGrants(yield* mustGetImageRepository("sample"), repositoryOf(ir), access, role)).toBe(true)
        expect((yield* quaySnapshot).robots).toHaveLength(role === "push" ? 1 : 2)
      }).pipe(Effect.provide(world())))
  }
})

describe("verify-linking", () => {
  const component = componentLabels()

  it.effect("a component repository's push Secret is linked once to the pipeline ServiceAccount, in `secrets` only", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount, ["other"])
      yield* provisioned("comp-ir", undefined, component)
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["other", "comp-ir-image-push"], imagePullSecrets: [] })
    }).pipe(Effect.provide(world())))

  it.effect("the account is a setting: build-pipeline-{component} links to the Component's own account", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount)
      yield* putServiceAccount("build-pipeline-comp")
      yield* provisioned("comp-ir", undefined, component)
      expect(yield* linksOf("build-pipeline-comp")).toEqual({ secrets: ["comp-ir-image-push"], imagePullSecrets: [] })
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: [], imagePullSecrets: [] })
    }).pipe(Effect.provide(world("paid", { pipelineServiceAccount: "build-pipeline-{component}" }))))

  it.effect("removes duplicate links and the imagePullSecrets entry, links a missing one, clears the flag", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount)
      yield* provisioned("comp-ir", undefined, component)
      yield* putServiceAccount(pipelineAccount, ["comp-ir-image-push", "other", "comp-ir-image-push"], ["comp-ir-image-push", "pull"])
      yield* editImageRepository("comp-ir", { spec: { credentials: { "verify-linking": true } } })
      yield* converge("comp-ir")
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["comp-ir-image-push", "other"], imagePullSecrets: ["pull"] })
      expect((yield* mustGetImageRepository("comp-ir")).spec?.credentials?.["verify-linking"]).toBeUndefined()
    }).pipe(Effect.provide(world())))

  it.effect("checks the pull Secret too: linked nowhere by the operator, its duplicates and dangling references go", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount)
      yield* provisioned("comp-ir", undefined, component)
      // Someone lists the pull Secret twice in the default account, and in the pipeline account's pull list.
      yield* putServiceAccount("default", ["comp-ir-image-pull", "comp-ir-image-pull"], ["comp-ir-image-pull"])
      yield* putServiceAccount(pipelineAccount, ["comp-ir-image-push"], ["comp-ir-image-pull", "comp-ir-image-pull"])
      yield* editImageRepository("comp-ir", { spec: { credentials: { "verify-linking": true } } })
      yield* converge("comp-ir")
      expect(yield* linksOf("default")).toEqual({ secrets: ["comp-ir-image-pull"], imagePullSecrets: ["comp-ir-image-pull"] })
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["comp-ir-image-push"], imagePullSecrets: ["comp-ir-image-pull"] })

      // A pull Secret that does not exist loses every reference.
      yield* verifySecretReferences(namespace, "default", "comp-ir-image-pull", false)
      expect(yield* linksOf("default")).toEqual({ secrets: [], imagePullSecrets: [] })
    }).pipe(Effect.provide(world())))

  it.effect("a general-purpose object's Secret is linked nowhere, even with the labels added after creation", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount)
      yield* provisioned("plain")
      yield* editImageRepository("plain", { metadata: component })
      yield* editImageRepository("plain", { spec: { credentials: { "verify-linking": true } } })
      yield* converge("plain")
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: [], imagePullSecrets: [] })
    }).pipe(Effect.provide(world())))

  it.effect("unlinks a Secret that does not exist", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount, ["gone-image-push", "other"], ["gone-image-push"])
      yield* verifySecretLinks(namespace, pipelineAccount, "gone-image-push", false)
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["other"], imagePullSecrets: [] })
    }).pipe(Effect.provide(world())))

  it.effect("a missing ServiceAccount delays the link, never readiness; the link is made once the account exists", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("comp-ir", undefined, component)
      yield* converge("comp-ir")
      const waiting = yield* mustGetImageRepository("comp-ir")
      expect(waiting.status?.state).toBe("ready")
      expect(waiting.status?.message).toBeUndefined()
      expect(waiting.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True")
      // verify-linking with the account still missing is done (nothing to link to), not retried forever.
      yield* editImageRepository("comp-ir", { spec: { credentials: { "verify-linking": true } } })
      yield* converge("comp-ir")
      expect((yield* mustGetImageRepository("comp-ir")).spec?.credentials?.["verify-linking"]).toBeUndefined()

      // The account appears: the next pass (the ServiceAccount watch queues it) links the push Secret.
      yield* putServiceAccount(pipelineAccount)
      yield* converge("comp-ir")
      const ir = yield* mustGetImageRepository("comp-ir")
      expect(ir.status?.message).toBeUndefined()
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["comp-ir-image-push"], imagePullSecrets: [] })
    }).pipe(Effect.provide(world())))
})

describe("objects provisioned by the original controller", () => {
  it.effect("are adopted as they are: no Quay call, their Secret labelled once, and they still rotate", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      const quayControl = yield* QuayInMemory.QuayControl
      const quay = yield* Quay
      // What the Go controller left behind: its own description, a random robot name, an unlabelled Secret.
      yield* quay.createRepository({ name: `${namespace}/legacy`, visibility: "public", description: "AppStudio repository for the user" })
      const robot = yield* quay.createRobot("test_ns_legacy_1a2b3c4d5e", "Robot account for Konflux Component")
      yield* quay.setPermission(`${namespace}/legacy`, robot.name, "write")
      const created = yield* kube.put(Kinds.ImageRepository, {
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "ImageRepository",
        metadata: { name: "legacy", namespace, finalizers: ["appstudio.openshift.io/image-repository"] },
        spec: { image: { name: `${namespace}/legacy`, visibility: "public" } },
        status: {
          state: "ready",
          image: { url: `quay.io/my-org/${namespace}/legacy`, visibility: "public" },
          credentials: {
            generationTimestamp: "2024-01-01T00:00:00Z",
            "push-robot-account": "test_ns_legacy_1a2b3c4d5e",
            "push-secret": "legacy-image-push"
          }
        }
      })
      const uid = String((created["metadata"] as { uid?: unknown }).uid)
      const auth = Buffer.from(`${robot.name}:${Redacted.value(robot.token)}`).toString("base64")
      yield* kube.put(Kinds.Secret, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "legacy-image-push",
          namespace,
          labels: { "appstudio.redhat.com/internal": "true" },
          ownerReferences: [{ apiVersion: "appstudio.redhat.com/v1alpha1", kind: "ImageRepository", name: "legacy", uid }]
        },
        type: "kubernetes.io/dockerconfigjson",
        data: {
          ".dockerconfigjson": Buffer.from(JSON.stringify({ auths: { [`quay.io/my-org/${namespace}/legacy`]: { auth } } })).toString("base64")
        }
      })
      yield* quayControl.resetCalls

      yield* converge("legacy")
      expect((yield* quayControl.calls).total).toBe(0)
      const secret = yield* getSecret("legacy-image-push")
      expect(secret?.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("image-repository-operator")
      const ir = yield* mustGetImageRepository("legacy")
      expect(ir.status?.credentials?.["push-robot-account"]).toBe("test_ns_legacy_1a2b3c4d5e")
      expect(yield* secretGrants(ir, `${namespace}/legacy`, "push")).toBe(true)

      yield* editImageRepository("legacy", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("legacy")
      expect(yield* secretGrants(yield* mustGetImageRepository("legacy"), `${namespace}/legacy`, "push")).toBe(true)
      expect((yield* quaySnapshot).robots.map((r) => r.shortName)).toEqual(["test_ns_legacy_1a2b3c4d5e"])
    }).pipe(Effect.provide(world())))
})
