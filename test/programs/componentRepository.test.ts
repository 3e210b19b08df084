/**
 * The spec's "AppStudio Component image repository": an ImageRepository created with the component and application
 * labels gets `<namespace>/<application>/<component>`, a second (pull) robot with read access and its Secret, and
 * its push Secret linked to the pipeline ServiceAccount; labels edited later change nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Redacted, TestClock } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { QuayUnavailable } from "../../src/services/QuayError.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { withQuay } from "./QuaySpy.ts"
import { measureRoundTrips } from "./TimedQuay.ts"
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
  quaySnapshot,
  ref,
  secretGrants,
  world
} from "./World.ts"

const sample = "imagerepository-for-component-sample"
const exampleLabels = componentLabels("my-component", "my-app")

const provisioned = (name: string, spec?: Record<string, unknown>, extra: Record<string, unknown> = componentLabels()) =>
  Effect.gen(function*() {
    yield* applyImageRepository(name, spec, extra)
    yield* converge(name)
    return yield* mustGetImageRepository(name)
  })

const removeSecret = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.remove(Kinds.Secret, { namespace, name }))

const tokenIn = (name: string, imageUrl: string) =>
  Effect.map(getSecret(name), (secret) =>
    Option.getOrUndefined(
      Option.flatMap(Option.fromNullable(secret), (s) => RobotSecret.credentialsIn(s, imageUrl)).pipe(
        Option.map((c) => Redacted.value(c.token))
      )
    ))

const repositoryOf = (ir: ImageRepository) => (ir.status?.image?.url ?? "").replace(`quay.io/${organization}/`, "")

describe("the spec's component example", () => {
  it.effect("is provisioned as <namespace>/<application>/<component> with the status the spec shows", () =>
    Effect.gen(function*() {
      const ir = yield* provisioned(sample, undefined, exampleLabels)
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.message).toBeUndefined()
      expect(ir.spec?.image).toEqual({ name: "test-ns/my-app/my-component", visibility: "public" })
      expect(ir.status?.image).toEqual({ url: "quay.io/my-org/test-ns/my-app/my-component", visibility: "public" })
      expect(ir.status?.credentials).toEqual({
        generationTimestamp: "1970-01-01T00:00:00Z",
        "push-robot-account": expect.stringMatching(/^test_ns_imagerepository_for_component_sample_[0-9a-f]{10}$/),
        "push-secret": "imagerepository-for-component-sample-image-push",
        "pull-robot-account": expect.stringMatching(/^test_ns_imagerepository_for_component_sample_[0-9a-f]{10}_pull$/),
        "pull-secret": "imagerepository-for-component-sample-image-pull"
      })
      // The decision, recorded at provisioning.
      expect(ir.status?.component).toEqual({ name: "my-component", application: "my-app" })

      const quay = yield* quaySnapshot
      expect(quay.repositories.map((r) => [r.name, r.visibility])).toEqual([["test-ns/my-app/my-component", "public"]])
      const push = `${organization}+${ir.status?.credentials?.["push-robot-account"]}`
      const pull = `${organization}+${ir.status?.credentials?.["pull-robot-account"]}`
      expect(quay.permissions.filter((p) => p.repository === "test-ns/my-app/my-component").map((p) => [p.username, p.role]))
        .toEqual(expect.arrayContaining([[push, "write"], [pull, "read"]]))
      expect(quay.robots.map((r) => r.shortName).sort()).toEqual(
        [ir.status?.credentials?.["push-robot-account"], ir.status?.credentials?.["pull-robot-account"]].sort()
      )
    }).pipe(Effect.provide(world())))

  it.effect("the pull Secret is a dockerconfigjson owned by the object that pulls its repository and pushes nowhere", () =>
    Effect.gen(function*() {
      // Private, so pulling takes the credentials; another private repository next to it.
      const ir = yield* provisioned("c", { image: { visibility: "private" } })
      yield* provisioned("other", { image: { name: "other", visibility: "private" } }, {})
      const secret = yield* getSecret("c-image-pull")
      expect(secret?.type).toBe("kubernetes.io/dockerconfigjson")
      expect(secret?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ImageRepository", name: "c", uid: ir.metadata.uid })
      const repository = repositoryOf(ir)
      expect(repository).toBe("test-ns/app/comp")
      expect(yield* secretGrants(ir, repository, "pull", "pull")).toBe(true)
      expect(yield* secretGrants(ir, repository, "push", "pull")).toBe(false)
      expect(yield* secretGrants(ir, "test-ns/other", "pull", "pull")).toBe(false)
      expect(yield* secretGrants(ir, repository, "push", "push")).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("a name in spec.image.name is used as for any object, and the pull robot is still made", () =>
    Effect.gen(function*() {
      const ir = yield* provisioned("named", { image: { name: "my-image" } })
      expect(ir.status?.image?.url).toBe("quay.io/my-org/test-ns/my-image")
      expect(ir.status?.credentials?.["pull-secret"]).toBe("named-image-pull")
      expect(yield* secretGrants(ir, "test-ns/my-image", "pull", "pull")).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("needs both labels: the component label alone makes a general-purpose repository", () =>
    Effect.gen(function*() {
      const ir = yield* provisioned("half", undefined, { labels: { "appstudio.redhat.com/component": "comp" } })
      expect(ir.status?.image?.url).toBe("quay.io/my-org/test-ns/half")
      expect(ir.status?.component).toBeUndefined()
      expect(ir.status?.credentials?.["pull-secret"]).toBeUndefined()
      expect((yield* quaySnapshot).robots).toHaveLength(1)
    }).pipe(Effect.provide(world())))
})

describe("labels edited after creation have no effect", () => {
  it.effect("added to a general-purpose object: no pull robot, no pull Secret, no link, the same repository", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount)
      const before = yield* provisioned("plain", undefined, {})
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.resetCalls
      yield* editImageRepository("plain", { metadata: componentLabels() })
      yield* converge("plain")
      const after = yield* mustGetImageRepository("plain")
      expect(after.status).toEqual(before.status)
      expect((yield* quay.calls).total).toBe(0)
      expect(yield* getSecret("plain-image-pull")).toBeUndefined()
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: [], imagePullSecrets: [] })
      expect((yield* quaySnapshot).robots).toHaveLength(1)
    }).pipe(Effect.provide(world())))

  it.effect("removed or changed on a component repository: still its pull Secret, its link, its Component's account", () =>
    Effect.gen(function*() {
      yield* putServiceAccount("build-pipeline-comp")
      yield* putServiceAccount("build-pipeline-other")
      const before = yield* provisioned("c")
      yield* editImageRepository("c", { metadata: componentLabels("other", "other-app") })
      yield* converge("c")
      yield* editImageRepository("c", {
        metadata: { labels: { "appstudio.redhat.com/component": null, "appstudio.redhat.com/application": null } }
      })
      // A deleted pull Secret is still restored, and the link still goes to the recorded Component's account.
      yield* removeSecret("c-image-pull")
      yield* putServiceAccount("build-pipeline-comp")
      yield* converge("c")
      const after = yield* mustGetImageRepository("c")
      expect(after.status?.component).toEqual({ name: "comp", application: "app" })
      expect(after.status?.credentials).toEqual(before.status?.credentials)
      expect(yield* secretGrants(after, repositoryOf(after), "pull", "pull")).toBe(true)
      expect(yield* linksOf("build-pipeline-comp")).toEqual({ secrets: ["c-image-push"], imagePullSecrets: [] })
      expect(yield* linksOf("build-pipeline-other")).toEqual({ secrets: [], imagePullSecrets: [] })
    }).pipe(Effect.provide(world("paid", { pipelineServiceAccount: "build-pipeline-{component}" }))))
})

describe("a component repository's credentials", () => {
  it.effect("regenerate-token rotates both robots and rewrites both Secrets; the old tokens stop working", () =>
    Effect.gen(function*() {
      const before = yield* provisioned("c")
      const url = before.status?.image?.url ?? ""
      const oldPush = yield* tokenIn("c-image-push", url)
      const oldPull = yield* tokenIn("c-image-pull", url)
      yield* TestClock.adjust("1 hour")
      yield* editImageRepository("c", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("c")
      const after = yield* mustGetImageRepository("c")
      expect(after.spec?.credentials?.["regenerate-token"]).toBeUndefined()
      expect(after.status?.credentials?.generationTimestamp).toBe("1970-01-01T01:00:00Z")
      expect(after.status?.credentials?.["pull-robot-account"]).toBe(before.status?.credentials?.["pull-robot-account"])
      const newPush = yield* tokenIn("c-image-push", url)
      const newPull = yield* tokenIn("c-image-pull", url)
      expect(newPush).not.toBe(oldPush)
      expect(newPull).not.toBe(oldPull)
      const quay = yield* QuayInMemory.QuayControl
      const repository = repositoryOf(after)
      const pullUser = `${organization}+${after.status?.credentials?.["pull-robot-account"]}`
      expect(yield* quay.authorize(pullUser, Redacted.make(oldPull ?? ""), repository, "pull")).toBe(false)
      expect(yield* secretGrants(after, repository, "pull", "pull")).toBe(true)
      expect(yield* secretGrants(after, repository, "push", "push")).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("a pull robot deleted behind the operator's back is re-created, with read access, for a lost Secret", () =>
    Effect.gen(function*() {
      const ir = yield* provisioned("c")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.outOfBand.deleteRobot(ir.status?.credentials?.["pull-robot-account"] ?? "")
      yield* removeSecret("c-image-pull")
      yield* converge("c")
      const after = yield* mustGetImageRepository("c")
      expect(yield* secretGrants(after, repositoryOf(after), "pull", "pull")).toBe(true)
      expect(yield* secretGrants(after, repositoryOf(after), "push", "pull")).toBe(false)
    }).pipe(Effect.provide(world())))
})

describe("provisioning round trips", () => {
  const firstPass = (name: string) => measureFirstPass(name)

  it.effect("a general-purpose repository: 3 Quay requests in 2 round trips (repository and robot at once)", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("plain")
      const measured = yield* firstPass("plain")
      expect(Exit.isSuccess(measured.exit)).toBe(true)
      expect(measured.rounds).toEqual([["createRepository", "createRobot"], ["setPermission"]])
      expect(measured.criticalPath).toBe(2)
      expect((yield* mustGetImageRepository("plain")).status?.state).toBe("ready")
    }).pipe(Effect.provide(world())))

  it.effect("a component repository: 5 Quay requests in 2 round trips (repository and both robots, then both grants)", () =>
    Effect.gen(function*() {
      yield* applyImageRepository(sample, undefined, exampleLabels)
      const measured = yield* firstPass(sample)
      expect(Exit.isSuccess(measured.exit)).toBe(true)
      expect(measured.requests).toBe(5)
      expect(measured.rounds).toEqual([["createRepository", "createRobot", "createRobot"], ["setPermission", "setPermission"]])
      expect(measured.criticalPath).toBe(2)
      expect(measured.maxInFlight).toBe(3)
      expect((yield* mustGetImageRepository(sample)).status?.state).toBe("ready")
    }).pipe(Effect.provide(world())))
})

const measureFirstPass = (name: string) => measureRoundTrips(reconcileImageRepository(ref(name)))

describe("a refusal next to robots created at the same time", () => {
  it.effect("a repository name someone else holds fails the object, and its robots are deleted", () =>
    Effect.gen(function*() {
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.outOfBand.createRepository({ name: "test-ns/app/comp", description: "hand made" })
      yield* applyImageRepository("c", undefined, componentLabels())
      yield* converge("c")
      expect((yield* mustGetImageRepository("c")).status?.state).toBe("failed")
      expect((yield* quaySnapshot).robots).toEqual([])
      expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual(["test-ns/app/comp"])
    }).pipe(Effect.provide(world())))

  it.effect("a robot whose creation got no answer is not given up on: found and deleted before the object fails", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("c", { image: { visibility: "private" } }, componentLabels())
      // The pull robot is created in Quay but its answer is lost, while Quay refuses the repository.
      let lost = false
      const first = yield* reconcileImageRepository(ref("c")).pipe(
        withQuay((operation, args, call) =>
          operation === "createRobot" && String(args[0]).endsWith("_pull") && !lost
            ? Effect.andThen(call, Effect.suspend(() => {
              lost = true
              return Effect.fail(new QuayUnavailable({ detail: "connection reset" }))
            }))
            : call
        ),
        Effect.either
      )
      expect(first._tag).toBe("Left")
      expect((yield* mustGetImageRepository("c")).status?.state).not.toBe("failed")
      // Both robots are there: the refusal is not final until the unanswered one is found again.
      expect((yield* quaySnapshot).robots).toHaveLength(2)
      yield* converge("c")
      expect((yield* mustGetImageRepository("c")).status?.state).toBe("failed")
      expect((yield* quaySnapshot).robots).toEqual([])
    }).pipe(Effect.provide(world("free"))))
})

describe("a component repository the original controller provisioned", () => {
  /** What the Go controller left behind: its description, random robot names, unlabelled Secrets. */
  const seedOriginal = Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const quay = yield* Quay
    const repository = `${namespace}/app/comp`
    const url = `quay.io/${organization}/${repository}`
    yield* quay.createRepository({ name: repository, visibility: "public", description: "AppStudio repository for the user" })
    const push = yield* quay.createRobot("test_ns_app_comp_1a2b3c4d5e", "Robot account for Konflux Component")
    const pull = yield* quay.createRobot("test_ns_app_comp_6a54e08b62_pull", "Robot account for Konflux Component")
    yield* quay.setPermission(repository, push.name, "write")
    yield* quay.setPermission(repository, pull.name, "read")
    const created = yield* kube.put(Kinds.ImageRepository, {
      apiVersion: "appstudio.redhat.com/v1alpha1",
      kind: "ImageRepository",
      metadata: { name: "legacy", namespace, finalizers: ["appstudio.openshift.io/image-repository"], ...componentLabels() },
      spec: { image: { name: repository, visibility: "public" } },
      status: {
        state: "ready",
        image: { url, visibility: "public" },
        credentials: {
          generationTimestamp: "2024-01-01T00:00:00Z",
          "push-robot-account": push.shortName,
          "push-secret": "legacy-image-push",
          "pull-robot-account": pull.shortName,
          "pull-secret": "legacy-image-pull"
        }
      }
    })
    const uid = String((created["metadata"] as { uid?: unknown }).uid)
    for (const [name, robot] of [["legacy-image-push", push], ["legacy-image-pull", pull]] as const) {
      const auth = Buffer.from(`${robot.name}:${Redacted.value(robot.token)}`).toString("base64")
      yield* kube.put(Kinds.Secret, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name,
          namespace,
          labels: { "appstudio.redhat.com/internal": "true" },
          ownerReferences: [{ apiVersion: "appstudio.redhat.com/v1alpha1", kind: "ImageRepository", name: "legacy", uid }]
        },
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths: { [url]: { auth } } })).toString("base64") }
      })
    }
  })

  it.effect("is adopted with no Quay call, its labels read once; its deletion removes both robots and the repository", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount)
      yield* seedOriginal
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.resetCalls
      yield* converge("legacy")
      expect((yield* quay.calls).total).toBe(0)
      const ir = yield* mustGetImageRepository("legacy")
      // The original decided from the labels on every pass: the first pass here records what they say, once.
      expect(ir.status?.component).toEqual({ name: "comp", application: "app" })
      expect(ir.status?.credentials?.["pull-robot-account"]).toBe("test_ns_app_comp_6a54e08b62_pull")
      expect(yield* secretGrants(ir, `${namespace}/app/comp`, "pull", "pull")).toBe(true)
      expect((yield* getSecret("legacy-image-pull"))?.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe(
        "image-repository-operator"
      )
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["legacy-image-push"], imagePullSecrets: [] })
      yield* editImageRepository("legacy", {
        metadata: { labels: { "appstudio.redhat.com/component": null, "appstudio.redhat.com/application": null } }
      })
      yield* converge("legacy")
      expect((yield* mustGetImageRepository("legacy")).status?.component).toEqual({ name: "comp", application: "app" })
      expect((yield* quay.calls).total).toBe(0)

      yield* Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.delete(Kinds.ImageRepository, ref("legacy")))
      yield* converge("legacy")
      const snapshot = yield* quaySnapshot
      expect(snapshot.robots).toEqual([])
      expect(snapshot.repositories).toEqual([])
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: [], imagePullSecrets: [] })
    }).pipe(Effect.provide(world())))

  it.effect("without the labels it is adopted as general-purpose, and labels added afterwards change nothing", () =>
    Effect.gen(function*() {
      yield* seedOriginal
      yield* editImageRepository("legacy", {
        metadata: { labels: { "appstudio.redhat.com/component": null, "appstudio.redhat.com/application": null } }
      })
      yield* converge("legacy")
      yield* editImageRepository("legacy", { metadata: componentLabels() })
      yield* converge("legacy")
      expect((yield* mustGetImageRepository("legacy")).status?.component).toBeUndefined()
      // Its pull robot, the original's, still goes with it.
      yield* Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.delete(Kinds.ImageRepository, ref("legacy")))
      yield* converge("legacy")
      expect((yield* quaySnapshot).robots).toEqual([])
    }).pipe(Effect.provide(world())))
})
