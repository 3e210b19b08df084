/**
 * The original controller's `update-component-image` annotation on a component repository: the Component's
 * spec.containerImage is set to the image URL once the repository is ready, and the annotation removed; without
 * the Component the annotation waits and maintenance goes on.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { applyImageRepository, componentLabels, converge, mustGetImageRepository, namespace, ref, world } from "./World.ts"

const annotation = "image-controller.appstudio.redhat.com/update-component-image"

const putComponent = Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
  k.put(Kinds.Component, {
    apiVersion: "appstudio.redhat.com/v1alpha1",
    kind: "Component",
    metadata: { name: "comp", namespace },
    spec: { application: "app", componentName: "comp" }
  }))

const containerImage = Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.getRaw(Kinds.Component, ref("comp"))).pipe(
  Effect.map(Option.map((raw) => (raw as { spec?: { containerImage?: string } }).spec?.containerImage)),
  Effect.map(Option.getOrUndefined)
)

describe("the update-component-image annotation", () => {
  it.effect("sets the Component's containerImage to the image URL and is removed", () =>
    Effect.gen(function*() {
      yield* putComponent
      const labels = componentLabels()
      yield* applyImageRepository("for-comp", undefined, { ...labels, annotations: { [annotation]: "true" } })
      yield* converge("for-comp")
      const ir = yield* mustGetImageRepository("for-comp")
      expect(ir.status?.state).toBe("ready")
      expect(yield* containerImage).toBe(ir.status?.image?.url)
      expect(ir.metadata.annotations?.[annotation]).toBeUndefined()
    }).pipe(Effect.provide(world())))

  it.effect("waits, annotation kept, while the Component does not exist; the object is still maintained", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("for-comp", undefined, { ...componentLabels(), annotations: { [annotation]: "true" } })
      yield* converge("for-comp")
      const ir = yield* mustGetImageRepository("for-comp")
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True")
      expect(ir.metadata.annotations?.[annotation]).toBe("true")
      yield* putComponent
      yield* converge("for-comp")
      expect(yield* containerImage).toBe(ir.status?.image?.url)
    }).pipe(Effect.provide(world())))

  it.effect("is ignored on a general-purpose repository", () =>
    Effect.gen(function*() {
      yield* putComponent
      yield* applyImageRepository("plain", undefined, { annotations: { [annotation]: "true" } })
      yield* converge("plain")
      expect(yield* containerImage).toBeUndefined()
      expect((yield* mustGetImageRepository("plain")).metadata.annotations?.[annotation]).toBe("true")
    }).pipe(Effect.provide(world())))
})
