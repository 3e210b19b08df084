import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { isMarked, isOwnedBy } from "../../src/domain/Ownership.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  applyImageRepository,
  componentLabels,
  converge,
  deleteImageRepository,
  getImageRepository,
  getSecret,
  linksOf,
  mustGetImageRepository,
  namespace,
  pipelineAccount,
  putServiceAccount,
  quaySnapshot,
  world
} from "./World.ts"

describe("deletion", () => {
  it.effect("removes the robot and the repository, then the finalizer; the Secret goes with the object", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample")
      yield* converge("sample")
      yield* deleteImageRepository("sample")
      yield* converge("sample")
      expect(yield* getImageRepository("sample")).toBeUndefined()
      expect(yield* getSecret("sample-image-push")).toBeUndefined()
      const quay = yield* quaySnapshot
      expect(quay.repositories).toEqual([])
      expect(quay.robots).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("keeps the repository when the skip-repository-deletion annotation says so (robot still removed)", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample", undefined, {
        annotations: { "image-controller.appstudio.redhat.com/skip-repository-deletion": "true" }
      })
      yield* converge("sample")
      const ir = yield* mustGetImageRepository("sample")
      yield* deleteImageRepository("sample")
      yield* converge("sample")
      expect(yield* getImageRepository("sample")).toBeUndefined()
      const quay = yield* quaySnapshot
      expect(quay.repositories.map((r) => r.name)).toEqual([`${namespace}/sample`])
      expect(quay.robots).toEqual([])
      // Kept without its mark: nobody's to delete, the orphan sweep's included.
      const kept = quay.repositories[0]?.description
      expect(isOwnedBy(kept, ir.metadata)).toBe(false)
      expect(isMarked(kept)).toBe(false)
    }).pipe(Effect.provide(world())))

  it.effect("an object refused for bad input is deleted without any Quay call", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("bad", { image: { name: "Bad" } })
      yield* converge("bad")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.resetCalls
      yield* deleteImageRepository("bad")
      yield* converge("bad")
      expect(yield* getImageRepository("bad")).toBeUndefined()
      expect((yield* quay.calls).total).toBe(0)
    }).pipe(Effect.provide(world())))

  it.effect("Quay failures block the deletion (finalizer kept) until Quay answers: nothing is orphaned", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample")
      yield* converge("sample")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.injectFaults({ kind: "5xx", next: 3 })
      yield* deleteImageRepository("sample")
      const first = yield* Effect.either(reconcileImageRepository({ namespace, name: "sample" }))
      expect(first._tag).toBe("Left")
      expect((yield* getImageRepository("sample"))?.metadata.finalizers).toContain("appstudio.openshift.io/image-repository")
      yield* converge("sample")
      expect(yield* getImageRepository("sample")).toBeUndefined()
      expect((yield* quaySnapshot).repositories).toEqual([])
      expect((yield* quaySnapshot).robots).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("a component repository's robots both go, and its Secrets are unlinked from the pipeline ServiceAccount", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount, ["keep"])
      yield* applyImageRepository("comp-ir", undefined, componentLabels())
      yield* converge("comp-ir")
      expect((yield* quaySnapshot).robots).toHaveLength(2)
      // Someone also listed the pull Secret there.
      yield* putServiceAccount(pipelineAccount, ["keep", "comp-ir-image-push"], ["comp-ir-image-pull"])
      yield* deleteImageRepository("comp-ir")
      yield* converge("comp-ir")
      expect(yield* linksOf(pipelineAccount)).toEqual({ secrets: ["keep"], imagePullSecrets: [] })
      const quay = yield* quaySnapshot
      expect(quay.robots).toEqual([])
      expect(quay.repositories).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("a crash between Quay and the status write leaves no second robot or repository behind", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample")
      const kube = yield* KubernetesInMemory.KubernetesControl
      // The Secret create and the status write fail after Quay was provisioned: the next attempts find their own robot.
      yield* kube.failNext(2, { verbs: ["create", "patch"] })
      yield* converge("sample")
      const quay = yield* quaySnapshot
      expect(quay.repositories).toHaveLength(1)
      expect(quay.robots).toHaveLength(1)
      yield* deleteImageRepository("sample")
      yield* converge("sample")
      expect((yield* quaySnapshot).robots).toEqual([])
      expect((yield* quaySnapshot).repositories).toEqual([])
    }).pipe(Effect.provide(world())))
})

describe("an object that vanishes mid-reconcile", () => {
  it.effect("ends the reconcile successfully instead of retrying a write to nothing", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample")
      const control = yield* KubernetesInMemory.KubernetesControl
      const kubernetes = yield* Kubernetes
      // The object is removed (finalizers or not) right after the reconcile has read it.
      const vanishing: Kubernetes = {
        ...kubernetes,
        get: (kind, ref) =>
          Effect.tap(kubernetes.get(kind, ref), () =>
            kind.kind === "ImageRepository" ? control.remove(Kinds.ImageRepository, ref) : Effect.void
          )
      }
      const result = yield* reconcileImageRepository({ namespace, name: "sample" }).pipe(
        Effect.provideService(Kubernetes, vanishing),
        Effect.either
      )
      expect(result._tag).toBe("Right")
    }).pipe(Effect.provide(world())))
})
