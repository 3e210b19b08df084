/** Windows between steps that a straight run never hits: each test opens one and checks nothing is lost. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck, TestClock } from "effect"
import { maxRobotDescriptionLength, robotDescription } from "../../src/domain/Ownership.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  applyImageRepository,
  componentLabels,
  converge,
  deleteImageRepository,
  editImageRepository,
  mustGetImageRepository,
  namespace,
  quaySnapshot,
  ref,
  reconcileThrough,
  secretGrants,
  specWrite,
  statusWrite,
  unavailable,
  world
} from "./World.ts"

/** One reconcile with the first status write failing, as an apiserver hiccup would. */
const reconcileWithStatusWriteFailing = (name: string) => reconcileThrough(name, statusWrite, unavailable)

describe("a rename while provisioning is unfinished", () => {
  for (const renamed of ["second", "BAD"]) {
    it.effect(`to '${renamed}' cannot leave the first repository or robot behind`, () =>
      Effect.gen(function*() {
        const kube = yield* KubernetesInMemory.KubernetesControl
        yield* applyImageRepository("r", { image: { name: "first" } })
        yield* kube.failNext(1, { verbs: ["create"] }) // the push Secret: after the repository and robot exist
        const first = yield* Effect.either(reconcileImageRepository(ref("r")))
        expect(first._tag).toBe("Left")
        expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual([`${namespace}/first`])
        yield* editImageRepository("r", { spec: { image: { name: renamed } } })
        yield* converge("r")
        const ir = yield* mustGetImageRepository("r")
        expect(ir.status?.state).toBe("ready")
        expect(ir.status?.image?.url).toBe(`quay.io/my-org/${namespace}/first`)
        expect(ir.spec?.image?.name).toBe(`${namespace}/first`)
        expect(ir.status?.message).toContain("cannot be changed after creation")
        expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual([`${namespace}/first`])
        yield* deleteImageRepository("r")
        yield* converge("r")
        const quay = yield* quaySnapshot
        expect(quay.repositories).toEqual([])
        expect(quay.robots).toEqual([])
      }).pipe(Effect.provide(world())))
  }
})

describe("a repository deleted behind the operator's back", () => {
  it.effect("is re-created under its recorded name even if the spec was renamed meanwhile", () =>
    Effect.gen(function*() {
      const quay = yield* QuayInMemory.QuayControl
      yield* applyImageRepository("m")
      yield* converge("m")
      yield* quay.outOfBand.deleteRepository(`${namespace}/m`)
      yield* editImageRepository("m", { spec: { image: { name: "other", visibility: "private" } } })
      yield* converge("m")
      const ir = yield* mustGetImageRepository("m")
      expect(ir.status?.image?.url).toBe(`quay.io/my-org/${namespace}/m`)
      expect(ir.spec?.image?.name).toBe(`${namespace}/m`)
      expect((yield* quaySnapshot).repositories.map((r) => [r.name, r.visibility])).toEqual([[`${namespace}/m`, "private"]])
    }).pipe(Effect.provide(world())))

  it.effect("together with its robot: regenerate-token re-provisions instead of retrying a grant forever", () =>
    Effect.gen(function*() {
      const quay = yield* QuayInMemory.QuayControl
      yield* applyImageRepository("m")
      yield* converge("m")
      const robot = (yield* mustGetImageRepository("m")).status?.credentials?.["push-robot-account"] ?? ""
      yield* quay.outOfBand.deleteRepository(`${namespace}/m`)
      yield* quay.outOfBand.deleteRobot(robot)
      yield* editImageRepository("m", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("m")
      const ir = yield* mustGetImageRepository("m")
      expect(ir.status?.state).toBe("ready")
      expect(yield* secretGrants(ir, `${namespace}/m`, "push")).toBe(true)
    }).pipe(Effect.provide(world())))
})

describe("writes that fail after Quay acted", () => {
  it.effect("regenerate-token: a failed status write still ends with the timestamp moved and the flag removed", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("t")
      yield* converge("t")
      yield* TestClock.adjust("1 hour")
      yield* editImageRepository("t", { spec: { credentials: { "regenerate-token": true } } })
      const failed = yield* reconcileWithStatusWriteFailing("t")
      expect(failed._tag).toBe("Left")
      yield* converge("t")
      const ir = yield* mustGetImageRepository("t")
      expect(ir.spec?.credentials?.["regenerate-token"]).toBeUndefined()
      expect(ir.status?.credentials?.generationTimestamp).toBe("1970-01-01T01:00:00Z")
      expect(yield* secretGrants(ir, `${namespace}/t`, "push")).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("a visibility change is recorded even when the spec write after it fails", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("v")
      yield* converge("v")
      yield* editImageRepository("v", { spec: { image: { visibility: "private" }, credentials: { "verify-linking": true } } })
      // Status first, then the spec (flag removal): the spec write fails, the recorded visibility stays.
      yield* reconcileThrough("v", specWrite(), unavailable)
      expect((yield* mustGetImageRepository("v")).status?.image?.visibility).toBe("private")
      // The user changes their mind before the next pass: Quay must follow.
      yield* editImageRepository("v", { spec: { image: { visibility: "public" } } })
      yield* converge("v")
      expect((yield* quaySnapshot).repositories.map((r) => r.visibility)).toEqual(["public"])
    }).pipe(Effect.provide(world())))
})

describe("deleting and creating an object again, as the spec says to retry", () => {
  it.effect("replaces the Secret its predecessor left for garbage collection instead of failing", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* kube.put(Kinds.Secret, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "s-image-push",
          namespace,
          ownerReferences: [{ apiVersion: "appstudio.redhat.com/v1alpha1", kind: "ImageRepository", name: "s", uid: "old-uid" }]
        },
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": Buffer.from("{}").toString("base64") }
      })
      yield* applyImageRepository("s")
      yield* converge("s")
      const ir = yield* mustGetImageRepository("s")
      expect(ir.status?.state).toBe("ready")
      expect(yield* secretGrants(ir, `${namespace}/s`, "push")).toBe(true)
    }).pipe(Effect.provide(world())))
})

describe("long names", () => {
  it.effect("an object whose name fills the robot description is provisioned", () =>
    Effect.gen(function*() {
      const name = "a".repeat(200)
      yield* applyImageRepository(name, { image: { name: "x" } })
      yield* converge(name)
      expect((yield* mustGetImageRepository(name)).status?.state).toBe("ready")
    }).pipe(Effect.provide(world())))

  it("property: robot descriptions fit Quay's 255 characters and keep the ownership mark", () => {
    // Lengths up to the Kubernetes limits (63 for a namespace, 253 for a name), long ones as likely as short ones.
    const text = (max: number) =>
      FastCheck.integer({ min: 1, max }).chain((n) =>
        FastCheck.array(FastCheck.constantFrom("a", "z", "0", "-", "."), { minLength: n, maxLength: n }).map((c) => c.join(""))
      )
    FastCheck.assert(
      FastCheck.property(text(63), text(253), FastCheck.uuid(), (namespace, name, uid) => {
        const description = robotDescription({ namespace, name, uid })
        return description.length <= maxRobotDescriptionLength && description.endsWith(`(uid ${uid})`)
      }),
      { numRuns: 300 }
    )
  })
})

describe("a component repository whose pipeline ServiceAccount does not exist yet", () => {
  it.effect("is ready (the repository is usable) in its first pass, with no error: the link waits for the account", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("c", undefined, componentLabels())
      const first = yield* Effect.either(reconcileImageRepository(ref("c")))
      expect(first._tag).toBe("Right")
      const ir = yield* mustGetImageRepository("c")
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.message).toBeUndefined()
    }).pipe(Effect.provide(world())))
})
