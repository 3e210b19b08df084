import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { ownershipMark } from "../../src/domain/Ownership.ts"
import { robotShortName } from "../../src/domain/RobotName.ts"
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
import { cost, eventsAbout, getSecret, namespace, organization, quaySnapshot, ref, world } from "./World.ts"

const repository = `${namespace}/city-transit/billing`
const url = `quay.io/${organization}/${repository}`
const privateRefused = "Quay organization plan doesn't allow private image repositories"

/** The spec's example Component, annotated as the spec shows, and served. */
const generated = (visibility: "public" | "private" = "public") =>
  Effect.gen(function*() {
    yield* applyComponent("billing", { [generate]: `{"visibility": "${visibility}"}` })
    yield* convergeComponent("billing")
    return yield* mustGetComponent("billing")
  })

const quayVisibility = Effect.map(quaySnapshot, (s) => s.repositories.find((r) => r.name === repository)?.visibility)

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
