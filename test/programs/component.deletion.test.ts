/** The legacy Component flow: deletion, finalizers, and convergence through crashes and Quay failures. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileComponent } from "../../src/programs/reconcileComponent.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  annotateComponent,
  answerOf,
  applyComponent,
  componentSecretGrants,
  convergeComponent,
  deleteComponent,
  deleteImageRepo,
  generate,
  getComponent,
  image,
  mustGetComponent
} from "./ComponentWorld.ts"
import { eventsAbout, getSecret, namespace, organization, quaySnapshot, ref, world } from "./World.ts"
import { repository, url, generated } from "./componentFlowFixtures.ts"

describe("the legacy Component flow: deletion and crashes", () => {
  it.effect("a deletion while Quay fails is retried until the deadline, then released with a Warning naming the leftovers", () =>
    Effect.gen(function*() {
      yield* generated()
      yield* annotateComponent("billing", { [deleteImageRepo]: "true" })
      yield* convergeComponent("billing")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.injectFaults({ kind: "5xx", rate: 1 })
      yield* deleteComponent("billing")
      // Before the deadline the failure is retried: the finalizer holds.
      const early = yield* Effect.either(reconcileComponent(ref("billing")))
      expect(early._tag).toBe("Left")
      expect((yield* mustGetComponent("billing")).metadata.finalizers?.length ?? 0).toBeGreaterThan(0)
      // Past it the finalizer goes anyway, and the Event says what Quay still holds.
      yield* TestClock.adjust("6 minutes")
      yield* reconcileComponent(ref("billing"))
      expect(yield* getComponent("billing")).toBeUndefined()
      const warnings = (yield* eventsAbout("billing")).filter((e) => e.reason === "QuayCleanupIncomplete")
      expect(warnings.length).toBe(1)
      expect(warnings[0]?.message).toContain(`repository ${organization}/${repository}`)
      expect(warnings[0]?.message).toContain("robot")
    }).pipe(Effect.provide(world())))

  it.effect("without image.redhat.com/delete-image-repo only the robots go; the repository stays", () =>
    Effect.gen(function*() {
      yield* generated()
      yield* deleteComponent("billing")
      yield* convergeComponent("billing")
      expect(yield* getComponent("billing")).toBeUndefined()
      expect(yield* getSecret("billing")).toBeUndefined()
      const quay = yield* quaySnapshot
      expect(quay.repositories.map((r) => r.name)).toEqual([repository])
      expect(quay.robots).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("with image.redhat.com/delete-image-repo the repository and the robots go", () =>
    Effect.gen(function*() {
      yield* generated()
      yield* annotateComponent("billing", { [deleteImageRepo]: "true" })
      yield* convergeComponent("billing")
      yield* deleteComponent("billing")
      yield* convergeComponent("billing")
      expect(yield* getComponent("billing")).toBeUndefined()
      const quay = yield* quaySnapshot
      expect(quay.repositories).toEqual([])
      expect(quay.robots).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("an answer edited to name another Component's repository: that repository is neither toggled nor deleted", () =>
    Effect.gen(function*() {
      yield* applyComponent("other", { [generate]: "true" })
      yield* convergeComponent("other")
      yield* generated()
      const otherUrl = `quay.io/${organization}/${namespace}/city-transit/other`
      yield* annotateComponent("billing", {
        [image]: `{"image":"${otherUrl}","visibility":"public","secret":"billing"}`,
        [generate]: '{"visibility": "private"}',
        [deleteImageRepo]: ""
      })
      yield* convergeComponent("billing")
      expect((yield* answerOf("billing")).message).toBe(
        `Quay repository '${namespace}/city-transit/other' is not this Component's; it was not touched`
      )
      yield* deleteComponent("billing")
      yield* convergeComponent("billing")
      const quay = yield* quaySnapshot
      expect(quay.repositories.map((r) => [r.name, r.visibility]).sort()).toEqual([
        [`${namespace}/city-transit/billing`, "public"],
        [`${namespace}/city-transit/other`, "public"]
      ])
      // The other Component's robots are its own, untouched.
      expect(quay.robots.every((r) => r.description.includes("Component test-ns/other"))).toBe(true)
      expect(quay.robots).toHaveLength(2)
    }).pipe(Effect.provide(world())))

  it.effect("the finalizer is on the Component before the first Quay call", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      const quay = yield* Quay
      const seen: Array<boolean> = []
      const watched = Object.fromEntries(
        Object.entries(quay).map(([key, value]) => [
          key,
          typeof value !== "function" ? value : (...args: ReadonlyArray<unknown>) =>
            Effect.flatMap(kube.getRaw(Kinds.Component, ref("billing")), (raw) => {
              const finalizers = Option.match(raw, {
                onNone: (): ReadonlyArray<string> => [],
                onSome: (o) => (o["metadata"] as { finalizers?: ReadonlyArray<string> }).finalizers ?? []
              })
              seen.push(finalizers.includes("image-controller.appstudio.openshift.io/image-repository"))
              return (value as (...a: ReadonlyArray<unknown>) => Effect.Effect<unknown>)(...args)
            })
        ])
      ) as unknown as Quay
      yield* applyComponent("billing", { [generate]: "true" })
      yield* convergeComponent("billing").pipe(Effect.provideService(Quay, watched))
      expect(seen.length).toBe(5)
      expect(seen.every(Boolean)).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("Quay failing at every step of the way: the retries converge on one repository and two robots", () =>
    Effect.gen(function*() {
      const quay = yield* QuayInMemory.QuayControl
      yield* applyComponent("billing", { [generate]: "true" })
      // Each pass fails one call further in (lost responses included: 5xx after the write landed).
      for (let step = 0; step < 6; step++) {
        yield* quay.injectFaults({ kind: "5xx", next: 1 })
        yield* Effect.ignore(reconcileComponent(ref("billing")))
      }
      yield* quay.clearFaults
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({ image: url, visibility: "public", secret: "billing" })
      const snapshot = yield* quaySnapshot
      expect(snapshot.repositories).toHaveLength(1)
      expect(snapshot.robots).toHaveLength(2)
      expect(yield* componentSecretGrants("billing", url, repository, "push")).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("a finalizer a user removed from a generated Component is put back, so its deletion still cleans up", () =>
    Effect.gen(function*() {
      yield* generated()
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* kube.patch(Kinds.Component, ref("billing"), { metadata: { finalizers: null } })
      yield* convergeComponent("billing")
      expect((yield* mustGetComponent("billing")).metadata.finalizers).toEqual([
        "image-controller.appstudio.openshift.io/image-repository"
      ])
      yield* deleteComponent("billing")
      yield* convergeComponent("billing")
      expect((yield* quaySnapshot).robots).toEqual([])
    }).pipe(Effect.provide(world())))
})
