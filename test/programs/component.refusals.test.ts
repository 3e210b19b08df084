/** The legacy Component flow: requests it refuses, with a message and nothing created or taken over. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  annotateComponent,
  answerOf,
  applyComponent,
  convergeComponent,
  deleteComponent,
  deleteImageRepo,
  generate,
  getComponent,
  mustGetComponent
} from "./ComponentWorld.ts"
import { eventsAbout, getSecret, namespace, quaySnapshot, world } from "./World.ts"
import { repository, url, privateRefused, generated, quayVisibility } from "./componentFlowFixtures.ts"

describe("the legacy Component flow: refusals", () => {
  it.effect("a private request on a free plan: the message in the answer, no repository, no robot, a Warning", () =>
    Effect.gen(function*() {
      yield* applyComponent("billing", { [generate]: '{"visibility": "private"}' })
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({ message: privateRefused })
      expect((yield* mustGetComponent("billing")).metadata.annotations?.[generate]).toBeUndefined()
      const quay = yield* quaySnapshot
      expect(quay.repositories).toEqual([])
      expect(quay.robots).toEqual([])
      expect(yield* getSecret("billing")).toBeUndefined()
      expect(yield* eventsAbout("billing")).toContainEqual({
        type: "Warning",
        reason: "PrivateRepositoriesLimit",
        message: privateRefused
      })
    }).pipe(Effect.provide(world("free"))))

  it.effect("a private toggle on a free plan: the message in the answer, the repository still public", () =>
    Effect.gen(function*() {
      yield* generated("public")
      yield* Effect.flatMap(QuayInMemory.QuayControl, (q) => q.setPlan("free"))
      yield* annotateComponent("billing", { [generate]: '{"visibility": "private"}' })
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({ image: url, visibility: "public", secret: "billing", message: privateRefused })
      expect(yield* quayVisibility).toBe("public")
      // A later request that succeeds clears the message.
      yield* annotateComponent("billing", { [generate]: "true" })
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({ image: url, visibility: "public", secret: "billing" })
    }).pipe(Effect.provide(world())))

  const badRequests: ReadonlyArray<readonly [string, string]> = [
    ["{visibility: public}", `invalid JSON in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`],
    ['"public"', `invalid JSON in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`],
    ['{"visibility": "internal"}', `invalid value: internal in visibility field in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`],
    ['{"visibility": 1}', `invalid value: 1 in visibility field in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`],
    ["{}", `missing visibility field in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`]
  ]
  for (const [value, message] of badRequests) {
    it.effect(`${value}: a clear message, the request removed, nothing created, no finalizer`, () =>
      Effect.gen(function*() {
        yield* applyComponent("billing", { [generate]: value })
        yield* convergeComponent("billing")
        expect(yield* answerOf("billing")).toEqual({ message })
        const component = yield* mustGetComponent("billing")
        expect(component.metadata.annotations?.[generate]).toBeUndefined()
        expect(component.metadata.finalizers ?? []).toEqual([])
        expect((yield* Effect.flatMap(QuayInMemory.QuayControl, (q) => q.calls)).total).toBe(0)
        expect(yield* getSecret("billing")).toBeUndefined()
        expect((yield* eventsAbout("billing")).map((e) => e.reason)).toEqual(["InvalidGenerateRequest"])
      }).pipe(Effect.provide(world())))
  }

  it.effect("a bad request on a generated Component keeps the answer and adds the message; Quay is untouched", () =>
    Effect.gen(function*() {
      yield* generated("public")
      yield* annotateComponent("billing", { [generate]: '{"visibility": "secret"}' })
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({
        image: url,
        visibility: "public",
        secret: "billing",
        message: `invalid value: secret in visibility field in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`
      })
      expect(yield* quayVisibility).toBe("public")
    }).pipe(Effect.provide(world())))

  it.effect("a Component without spec.application, or with a name Quay refuses: a message, nothing created", () =>
    Effect.gen(function*() {
      yield* applyComponent("noapp", { [generate]: "true" }, { componentName: "noapp" })
      yield* applyComponent("upper", { [generate]: "true" }, { application: "App", componentName: "upper" })
      yield* convergeComponent("noapp")
      yield* convergeComponent("upper")
      expect(yield* answerOf("noapp")).toEqual({ message: "spec.application is required to generate an image repository" })
      expect((yield* answerOf("upper")).message).toBe(
        `invalid image repository name '${namespace}/App/upper': it must be lower case`
      )
      expect((yield* Effect.flatMap(QuayInMemory.QuayControl, (q) => q.calls)).total).toBe(0)
    }).pipe(Effect.provide(world())))

  it.effect("a repository of that name someone else made is not taken over: a message, no robot kept on it", () =>
    Effect.gen(function*() {
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.outOfBand.createRepository({ name: repository, description: "hand made" })
      yield* applyComponent("billing", { [generate]: "true", [deleteImageRepo]: "true" })
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({
        message: `Quay repository '${repository}' already exists and is not this Component's; it was not used`
      })
      expect((yield* quaySnapshot).robots).toEqual([])
      // Its deletion, repository-deletion annotation and all, leaves the hand-made repository alone.
      yield* deleteComponent("billing")
      yield* convergeComponent("billing")
      expect(yield* getComponent("billing")).toBeUndefined()
      expect((yield* quaySnapshot).repositories.map((r) => r.description)).toEqual(["hand made"])
    }).pipe(Effect.provide(world())))

  it.effect("a Secret of that name the user owns is left untouched: a message, the user's data intact", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* kube.put(Kinds.Secret, { apiVersion: "v1", kind: "Secret", metadata: { name: "billing", namespace }, data: { k: "dg==" } })
      yield* applyComponent("billing", { [generate]: "true" })
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({
        message: "Secret 'billing' already exists and is not owned by this Component"
      })
      expect((yield* getSecret("billing"))?.data).toEqual({ k: "dg==" })
    }).pipe(Effect.provide(world())))
})
