import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import {
  applyImageRepository,
  componentLabels,
  converge,
  deleteImageRepository,
  getImageRepository,
  getSecret,
  mustGetImageRepository,
  namespace,
  organization,
  pipelineAccount,
  putServiceAccount,
  quaySnapshot,
  secretGrants,
  world
} from "./World.ts"

describe("provisioning a general-purpose ImageRepository", () => {
  it.effect("creates a public repository <org>/<ns>/<name> and reports it in status as the spec shows", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("imagerepository-sample")
      yield* converge("imagerepository-sample")
      const ir = yield* mustGetImageRepository("imagerepository-sample")
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.message).toBeUndefined()
      expect(ir.status?.image).toEqual({ url: "quay.io/my-org/test-ns/imagerepository-sample", visibility: "public" })
      expect(ir.status?.credentials?.["push-secret"]).toBe("imagerepository-sample-image-push")
      expect(ir.status?.credentials?.["push-robot-account"]).toMatch(/^test_ns_imagerepository_sample_[0-9a-f]{10}$/)
      expect(ir.status?.credentials?.generationTimestamp).toBe("1970-01-01T00:00:00Z")
      // spec.image.name and visibility are written back
      expect(ir.spec?.image).toEqual({ name: "test-ns/imagerepository-sample", visibility: "public" })
      expect(ir.metadata.finalizers).toContain("appstudio.openshift.io/image-repository")
      const ready = ir.status?.conditions?.find((c) => c.type === "Ready")
      expect(ready?.status).toBe("True")
      expect(ready?.reason).toBe("Provisioned")
      expect(ready?.observedGeneration).toBe(ir.metadata.generation)
      expect(ir.status?.observedGeneration).toBe(ir.metadata.generation)

      const quay = yield* quaySnapshot
      expect(quay.repositories.map((r) => [r.name, r.visibility])).toEqual([["test-ns/imagerepository-sample", "public"]])
      expect(quay.robots.map((r) => r.shortName)).toEqual([ir.status?.credentials?.["push-robot-account"]])
      expect(quay.permissions).toContainEqual({
        namespace: organization,
        repository: "test-ns/imagerepository-sample",
        username: `${organization}+${ir.status?.credentials?.["push-robot-account"]}`,
        role: "write"
      })
    }).pipe(Effect.provide(world())))

  it.effect("writes a dockerconfigjson push Secret, owned by the object, whose robot may push to exactly its repository", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("a")
      yield* applyImageRepository("b")
      yield* converge("a")
      yield* converge("b")
      const a = yield* mustGetImageRepository("a")
      const secret = yield* getSecret("a-image-push")
      expect(secret?.type).toBe("kubernetes.io/dockerconfigjson")
      expect(secret?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ImageRepository", name: "a", uid: a.metadata.uid })
      const document = JSON.parse(Buffer.from(secret?.data?.[".dockerconfigjson"] ?? "", "base64").toString())
      expect(Object.keys(document.auths)).toEqual(["quay.io/my-org/test-ns/a"])
      expect(Buffer.from(document.auths["quay.io/my-org/test-ns/a"].auth, "base64").toString()).toMatch(
        new RegExp(`^${organization}\\+${a.status?.credentials?.["push-robot-account"]}:[A-Z0-9]{64}$`)
      )
      expect(yield* secretGrants(a, "test-ns/a", "push")).toBe(true)
      expect(yield* secretGrants(a, "test-ns/b", "push")).toBe(false)
    }).pipe(Effect.provide(world())))

  it.effect("prefixes a custom name with the namespace and keeps the user's spec value as written", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("custom", { image: { name: "my-image" } })
      yield* converge("custom")
      const ir = yield* mustGetImageRepository("custom")
      expect(ir.status?.image?.url).toBe("quay.io/my-org/test-ns/my-image")
      expect(ir.spec?.image?.name).toBe("my-image")
      expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual(["test-ns/my-image"])
    }).pipe(Effect.provide(world())))

  it.effect("creates a private repository when the plan allows it", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("private", { image: { visibility: "private" } })
      yield* converge("private")
      const ir = yield* mustGetImageRepository("private")
      expect(ir.status?.image?.visibility).toBe("private")
      expect((yield* quaySnapshot).repositories.map((r) => r.visibility)).toEqual(["private"])
    }).pipe(Effect.provide(world("paid"))))

  // For a component repository, "nothing" includes the two robots created next to the refused repository.
  for (const [kind, labels] of [["", {}], [" component", componentLabels()]] as const) {
    it.effect(`fails creation of a private${kind} repository on a free plan, leaving nothing in Quay`, () =>
      Effect.gen(function*() {
        yield* applyImageRepository("private", { image: { visibility: "private" } }, labels)
        yield* converge("private")
        const ir = yield* mustGetImageRepository("private")
        expect(ir.status?.state).toBe("failed")
        expect(ir.status?.message).toBe("Number of private repositories exceeds current quay plan limit")
        expect(ir.status?.image).toBeUndefined()
        expect(ir.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
          status: "False",
          reason: "PrivateRepositoriesLimit"
        })
        const quay = yield* quaySnapshot
        expect(quay.repositories).toEqual([])
        expect(quay.robots).toEqual([])
      }).pipe(Effect.provide(world("free"))))
  }

  it.effect("leaves a failed object alone: further reconciles cost nothing", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("private", { image: { visibility: "private" } })
      yield* converge("private")
      const passes = yield* converge("private")
      expect(passes).toBe(1)
    }).pipe(Effect.provide(world("free"))))

  for (const [kind, labels] of [["", {}], [" component repository (linked to its pipeline account)", componentLabels()]] as const) {
    it.effect(`a converged${kind === "" ? " object" : kind} costs no Quay call and no write`, () =>
      Effect.gen(function*() {
        yield* putServiceAccount(pipelineAccount)
        yield* applyImageRepository("sample", undefined, labels)
        yield* converge("sample")
        const quay = yield* QuayInMemory.QuayControl
        yield* quay.resetCalls
        expect(yield* converge("sample")).toBe(1)
        expect((yield* quay.calls).total).toBe(0)
      }).pipe(Effect.provide(world())))
  }

  it.effect("provisions with three Quay calls: create repository, create robot, grant write", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample")
      yield* converge("sample")
      const calls = yield* Effect.flatMap(QuayInMemory.QuayControl, (q) => q.calls)
      expect(calls.byOperation).toEqual({ createRepository: 1, createRobot: 1, setPermission: 1 })
    }).pipe(Effect.provide(world())))
})

describe("bad input", () => {
  const refusedNames: ReadonlyArray<[string, string]> = [
    ["My-Image", "lower case"],
    ["a/../b", "'.' and '..'"],
    ["a//b", "empty path segment"],
    ["/other-ns/image", "must stay within namespace 'test-ns'"],
    ["x".repeat(250), "longer than 255 characters"]
  ]
  for (const [name, reason] of refusedNames) {
    it.effect(`refuses spec.image.name '${name.slice(0, 20)}' with a clear message and creates nothing`, () =>
      Effect.gen(function*() {
        yield* applyImageRepository("bad", { image: { name } })
        yield* converge("bad")
        const ir = yield* mustGetImageRepository("bad")
        expect(ir.status?.state).toBe("failed")
        expect(ir.status?.message).toContain(reason)
        expect(ir.metadata.finalizers ?? []).toEqual([])
        const quay = yield* quaySnapshot
        expect(quay.repositories).toEqual([])
        expect(quay.robots).toEqual([])
        expect(ir.spec?.image?.name).toBe(name)
      }).pipe(Effect.provide(world())))
  }

  it.effect("refuses an unknown visibility with a clear message and creates nothing", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("bad", { image: { visibility: "internal" } })
      yield* converge("bad")
      const ir = yield* mustGetImageRepository("bad")
      expect(ir.status?.state).toBe("failed")
      expect(ir.status?.message).toBe("unknown visibility 'internal': spec.image.visibility must be public or private")
      expect((yield* quaySnapshot).repositories).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("never takes over a repository someone else created: fails, and leaves it in place on deletion", () =>
    Effect.gen(function*() {
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.outOfBand.createRepository({ name: `${namespace}/taken`, description: "hand made" })
      yield* applyImageRepository("taken")
      yield* converge("taken")
      const ir = yield* mustGetImageRepository("taken")
      expect(ir.status?.state).toBe("failed")
      expect(ir.status?.message).toContain("already exists and is not managed by this ImageRepository")
      yield* deleteImageRepository("taken")
      yield* converge("taken")
      expect(yield* getImageRepository("taken")).toBeUndefined()
      expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual([`${namespace}/taken`])
      expect((yield* quaySnapshot).robots).toEqual([])
    }).pipe(Effect.provide(world())))
})
