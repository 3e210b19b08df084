/** The legacy Component flow: what image.redhat.com/generate provisions, answers and costs, and visibility toggles. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ownershipMark } from "../../src/domain/Ownership.ts"
import { robotShortName } from "../../src/domain/RobotName.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileComponent } from "../../src/programs/reconcileComponent.ts"
import {
  annotateComponent,
  answerOf,
  applyComponent,
  componentSecretGrants,
  convergeComponent,
  generate,
  image,
  mustGetComponent
} from "./ComponentWorld.ts"
import { cost, getSecret, namespace, organization, quaySnapshot, ref, world } from "./World.ts"
import { repository, url, generated, quayVisibility } from "./componentFlowFixtures.ts"

describe("the legacy Component flow: image.redhat.com/generate", () => {
  it.effect("generates <namespace>/<application>/<componentName>, answers with the spec's JSON, removes the request", () =>
    Effect.gen(function*() {
      yield* applyComponent("billing", { [generate]: '{"visibility": "public"}' })
      yield* convergeComponent("billing")
      const component = yield* mustGetComponent("billing")
      expect(component.metadata.annotations?.[image]).toBe(`{"image":"${url}","visibility":"public","secret":"billing"}`)
      expect(component.metadata.annotations?.[generate]).toBeUndefined()
      expect(component.metadata.finalizers).toEqual(["image-controller.appstudio.openshift.io/image-repository"])

      const uid = component.metadata.uid ?? ""
      const push = robotShortName({ namespace, name: "billing", uid }, "push", organization)
      const pull = robotShortName({ namespace, name: "billing", uid }, "pull", organization)
      expect(push).toMatch(/^test_ns_billing_[0-9a-f]{10}$/)
      expect(pull).toMatch(/^test_ns_billing_[0-9a-f]{10}_pull$/)
      const quay = yield* quaySnapshot
      expect(quay.repositories.map((r) => [r.name, r.visibility])).toEqual([[repository, "public"]])
      expect(quay.robots.map((r) => r.shortName).sort()).toEqual([push, pull].sort())
      expect(quay.permissions.filter((p) => p.repository === repository && p.username.includes("+"))).toEqual(
        expect.arrayContaining([
          { namespace: organization, repository, username: `${organization}+${push}`, role: "write" },
          { namespace: organization, repository, username: `${organization}+${pull}`, role: "read" }
        ])
      )
      // The same marks as an ImageRepository's, naming the Component: what the orphan sweep recognises.
      const mark = `Managed by image-repository-operator for Component ${namespace}/billing ${ownershipMark(component.metadata)}`
      expect(quay.repositories[0]?.description).toBe(mark)
      for (const robot of quay.robots) expect(robot.description).toBe(mark)
    }).pipe(Effect.provide(world())))

  it.effect("the push Secret is named like the Component, owned by it, and pushes to exactly its repository", () =>
    Effect.gen(function*() {
      yield* applyComponent("other", { [generate]: "true" })
      yield* convergeComponent("other")
      const component = yield* generated()
      const secret = yield* getSecret("billing")
      expect(secret?.type).toBe("kubernetes.io/dockerconfigjson")
      expect(secret?.metadata.ownerReferences).toEqual([{
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "Component",
        name: "billing",
        uid: component.metadata.uid,
        controller: true,
        blockOwnerDeletion: true
      }])
      expect(yield* componentSecretGrants("billing", url, repository, "push")).toBe(true)
      expect(yield* componentSecretGrants("billing", url, `${namespace}/city-transit/other`, "push")).toBe(false)
    }).pipe(Effect.provide(world())))

  it.effect("first provisioning costs 5 Quay calls; a served Component costs nothing after", () =>
    Effect.gen(function*() {
      yield* applyComponent("billing", { [generate]: '{"visibility": "public"}' })
      yield* reconcileComponent(ref("billing"))
      const quay = yield* QuayInMemory.QuayControl
      expect((yield* quay.calls).byOperation).toEqual({
        createRepository: 1,
        createRobot: 2,
        setPermission: 2
      })
      const before = yield* cost
      yield* reconcileComponent(ref("billing"))
      yield* reconcileComponent(ref("billing"))
      expect(yield* cost).toEqual(before)
    }).pipe(Effect.provide(world())))

  it.effect("the bare `true` counts as public", () =>
    Effect.gen(function*() {
      yield* applyComponent("billing", { [generate]: "true" })
      yield* convergeComponent("billing")
      expect(yield* answerOf("billing")).toEqual({ image: url, visibility: "public", secret: "billing" })
      expect(yield* quayVisibility).toBe("public")
    }).pipe(Effect.provide(world())))

  it.effect("`false` is a no-op: no call, no write, the annotations as they are (the spec's Verify example)", () =>
    Effect.gen(function*() {
      const answer = `{"image":"${url}","visibility":"public","secret":"billing"}`
      yield* applyComponent("billing", { [generate]: "false", [image]: answer }, undefined, {
        finalizers: ["image-controller.appstudio.openshift.io/image-repository"]
      })
      const before = yield* cost
      yield* convergeComponent("billing")
      expect(yield* cost).toEqual(before)
      const component = yield* mustGetComponent("billing")
      expect(component.metadata.annotations).toEqual({ [generate]: "false", [image]: answer })
      expect((yield* quaySnapshot).repositories).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("a private request makes a private repository", () =>
    Effect.gen(function*() {
      yield* generated("private")
      expect(yield* answerOf("billing")).toEqual({ image: url, visibility: "private", secret: "billing" })
      expect(yield* quayVisibility).toBe("private")
    }).pipe(Effect.provide(world())))

  it.effect("toggling the requested visibility later toggles the repository's, both ways, with 2 Quay calls each", () =>
    Effect.gen(function*() {
      yield* generated("public")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.resetCalls
      yield* annotateComponent("billing", { [generate]: '{"visibility": "private"}' })
      yield* convergeComponent("billing")
      expect((yield* quay.calls).byOperation).toEqual({ getRepository: 1, changeVisibility: 1 })
      expect(yield* quayVisibility).toBe("private")
      expect(yield* answerOf("billing")).toEqual({ image: url, visibility: "private", secret: "billing" })
      expect((yield* mustGetComponent("billing")).metadata.annotations?.[generate]).toBeUndefined()

      yield* annotateComponent("billing", { [generate]: '{"visibility": "public"}' })
      yield* convergeComponent("billing")
      expect(yield* quayVisibility).toBe("public")
      expect(yield* answerOf("billing")).toEqual({ image: url, visibility: "public", secret: "billing" })
      // Robots and Secret are the first request's: a toggle makes no new ones.
      expect((yield* quaySnapshot).robots).toHaveLength(2)
      expect(yield* componentSecretGrants("billing", url, repository, "push")).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("the same visibility again answers with no change in Quay (one read)", () =>
    Effect.gen(function*() {
      yield* generated("public")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.resetCalls
      yield* annotateComponent("billing", { [generate]: "true" })
      yield* convergeComponent("billing")
      expect((yield* quay.calls).byOperation).toEqual({ getRepository: 1 })
      expect((yield* mustGetComponent("billing")).metadata.annotations?.[generate]).toBeUndefined()
    }).pipe(Effect.provide(world())))
})
