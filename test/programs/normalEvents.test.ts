import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileComponent } from "../../src/programs/reconcileComponent.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  annotateComponent,
  applyComponent,
  convergeComponent,
  deleteComponent,
  deleteImageRepo,
  generate
} from "./ComponentWorld.ts"
import {
  applyImageRepository,
  componentLabels,
  converge,
  cost,
  deleteImageRepository,
  editImageRepository,
  eventCountsAbout,
  eventsAbout,
  namespace,
  organization,
  pipelineAccount,
  putServiceAccount,
  quaySnapshot,
  ref,
  world
} from "./World.ts"

const url = (name: string) => `quay.io/${organization}/${namespace}/${name}`

/** The Normal Events about an object, by reason, in a fixed order (Event names end in a hash). */
const normalEvents = (name: string) =>
  Effect.map(eventsAbout(name), (events) =>
    events.filter((e) => e.type === "Normal").toSorted((a, b) => a.reason.localeCompare(b.reason)))

/** Every robot token Quay holds now: none may appear in an Event. */
const robotTokens = Effect.gen(function*() {
  const quay = yield* QuayInMemory.QuayControl
  const robots = (yield* quay.snapshot).robots
  const tokens = yield* Effect.forEach(robots, (r) => quay.robotToken(r.shortName))
  return tokens.flatMap((t) => Option.toArray(Option.map(t, Redacted.value)))
})

const expectNoTokenIn = (name: string, tokens: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const notes = (yield* eventsAbout(name)).map((e) => e.message).join("\n")
    expect(tokens.length).toBeGreaterThan(0)
    for (const token of tokens) expect(notes).not.toContain(token)
  })

/** One more reconcile of a converged object: no Event, no Quay call, no write. */
const expectConvergedQuiet = (name: string) =>
  Effect.gen(function*() {
    const events = yield* eventCountsAbout(name)
    const before = yield* cost
    yield* reconcileImageRepository(ref(name))
    expect(yield* cost).toEqual(before)
    expect(yield* eventCountsAbout(name)).toEqual(events)
  })

const provisioned = (name: string, spec?: Record<string, unknown>, extra?: Record<string, unknown>) =>
  Effect.gen(function*() {
    yield* applyImageRepository(name, spec, extra)
    yield* converge(name)
  })

describe("Normal Events: each transition of an ImageRepository, once", () => {
  it.effect("provisioning records Provisioned naming the repository, robot and Secret; a converged pass records nothing", () =>
    Effect.gen(function*() {
      yield* provisioned("app", { image: { visibility: "private" } })
      expect(yield* normalEvents("app")).toEqual([{
        type: "Normal",
        reason: "Provisioned",
        message: `Provisioned private image repository ${url("app")} with robot accounts ${organization}+${
          (yield* quaySnapshot).robots[0]?.shortName
        } and Secrets app-image-push`
      }])
      yield* expectConvergedQuiet("app")
      yield* expectNoTokenIn("app", yield* robotTokens)
    }).pipe(Effect.provide(world())))

  it.effect("a component repository's Provisioned names both robots and both Secrets", () =>
    Effect.gen(function*() {
      yield* provisioned("comp-ir", undefined, componentLabels())
      const [event] = yield* normalEvents("comp-ir")
      expect(event?.reason).toBe("Provisioned")
      expect(event?.message).toContain("Secrets comp-ir-image-push, comp-ir-image-pull")
      expect(event?.message).toMatch(/robot accounts my-org\+\S+, my-org\+\S+_pull /)
    }).pipe(Effect.provide(world())))

  it.effect("a visibility change records VisibilityChanged from and to", () =>
    Effect.gen(function*() {
      yield* provisioned("vis")
      yield* editImageRepository("vis", { spec: { image: { visibility: "private" } } })
      yield* converge("vis")
      yield* expectConvergedQuiet("vis")
      expect((yield* normalEvents("vis")).map((e) => [e.reason, e.message])).toEqual([
        ["Provisioned", expect.stringContaining("public image repository")],
        ["VisibilityChanged", `Changed visibility of ${url("vis")} from public to private`]
      ])
    }).pipe(Effect.provide(world())))

  it.effect("regenerate-token records TokenRotated once, without the old or the new token", () =>
    Effect.gen(function*() {
      yield* provisioned("rot")
      const before = yield* robotTokens
      yield* editImageRepository("rot", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("rot")
      yield* expectConvergedQuiet("rot")
      const rotated = (yield* normalEvents("rot")).filter((e) => e.reason === "TokenRotated")
      expect(rotated).toEqual([{
        type: "Normal",
        reason: "TokenRotated",
        message: expect.stringMatching(/^Regenerated the tokens of robot accounts my-org\+\S+ and rewrote Secrets rot-image-push$/)
      }])
      expect(yield* eventCountsAbout("rot")).toContainEqual(["TokenRotated", 1])
      yield* expectNoTokenIn("rot", [...before, ...(yield* robotTokens)])
    }).pipe(Effect.provide(world())))

  it.effect("a deleted Secret is restored with SecretRestored", () =>
    Effect.gen(function*() {
      yield* provisioned("sec")
      yield* Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.remove(Kinds.Secret, ref("sec-image-push")))
      yield* converge("sec")
      yield* expectConvergedQuiet("sec")
      const restored = (yield* normalEvents("sec")).filter((e) => e.reason === "SecretRestored")
      expect(restored.map((e) => e.message)).toEqual([
        expect.stringMatching(/^Secret sec-image-push was missing or damaged: rewritten for robot account my-org\+\S+$/)
      ])
      yield* expectNoTokenIn("sec", yield* robotTokens)
    }).pipe(Effect.provide(world())))

  it.effect("verify-linking records LinksFixed naming the accounts it fixed, or LinksVerified when nothing was wrong", () =>
    Effect.gen(function*() {
      yield* putServiceAccount(pipelineAccount)
      yield* provisioned("comp-ir", undefined, componentLabels())
      yield* editImageRepository("comp-ir", { spec: { credentials: { "verify-linking": true } } })
      yield* converge("comp-ir")
      yield* putServiceAccount(pipelineAccount, ["comp-ir-image-push", "comp-ir-image-push"])
      yield* editImageRepository("comp-ir", { spec: { credentials: { "verify-linking": true } } })
      yield* converge("comp-ir")
      yield* expectConvergedQuiet("comp-ir")
      const links = (yield* normalEvents("comp-ir")).filter((e) => e.reason.startsWith("Links"))
      expect(links.map((e) => [e.reason, e.message])).toEqual([
        ["LinksFixed", `Fixed the links of Secrets comp-ir-image-push, comp-ir-image-pull in ServiceAccounts ${pipelineAccount}`],
        ["LinksVerified", "Links of Secrets comp-ir-image-push, comp-ir-image-pull verified: nothing to fix"]
      ])
    }).pipe(Effect.provide(world())))

  it.effect("a pipeline ServiceAccount that appears later gets the push Secret, with SecretLinked", () =>
    Effect.gen(function*() {
      yield* provisioned("late", undefined, componentLabels())
      expect((yield* normalEvents("late")).map((e) => e.reason)).toEqual(["Provisioned"])
      yield* putServiceAccount(pipelineAccount)
      yield* converge("late")
      yield* expectConvergedQuiet("late")
      expect((yield* normalEvents("late")).map((e) => [e.reason, e.message])).toEqual([
        ["Provisioned", expect.any(String)],
        ["SecretLinked", `Linked Secret late-image-push to ServiceAccount ${pipelineAccount}`]
      ])
    }).pipe(Effect.provide(world())))

  it.effect("a repository deleted behind the operator's back is re-created with Reprovisioned", () =>
    Effect.gen(function*() {
      yield* provisioned("gone")
      yield* Effect.flatMap(QuayInMemory.QuayControl, (q) => q.outOfBand.deleteRepository(`${namespace}/gone`))
      yield* editImageRepository("gone", { spec: { image: { visibility: "private" } } })
      yield* converge("gone")
      expect((yield* normalEvents("gone")).map((e) => e.reason)).toEqual(["Provisioned", "Reprovisioned"])
    }).pipe(Effect.provide(world())))

  it.effect("deletion records CleanedUp naming the repository; a kept one says so", () =>
    Effect.gen(function*() {
      yield* provisioned("del")
      yield* provisioned("keep", undefined, {
        annotations: { "image-controller.appstudio.redhat.com/skip-repository-deletion": "true" }
      })
      yield* deleteImageRepository("del")
      yield* deleteImageRepository("keep")
      yield* reconcileImageRepository(ref("del"))
      yield* reconcileImageRepository(ref("keep"))
      expect((yield* normalEvents("del")).map((e) => [e.reason, e.message])).toEqual([
        [
          "CleanedUp",
          `Deleted the robot accounts and repository ${url("del")} from Quay (a repository another ImageRepository uses is kept); finalizer released`
        ],
        ["Provisioned", expect.any(String)]
      ])
      expect((yield* normalEvents("keep")).find((e) => e.reason === "CleanedUp")?.message).toBe(
        `Deleted the robot accounts from Quay; repository ${url("keep")} kept, as annotated; finalizer released`
      )
    }).pipe(Effect.provide(world())))

  it.effect("a failed object records its Warning and no Normal Event; its deletion says nothing was recorded", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("bad", { image: { visibility: "private" } })
      yield* converge("bad")
      expect((yield* eventsAbout("bad")).map((e) => [e.type, e.reason])).toEqual([["Warning", "PrivateRepositoriesLimit"]])
      yield* deleteImageRepository("bad")
      yield* reconcileImageRepository(ref("bad"))
      expect((yield* normalEvents("bad")).map((e) => e.message)).toEqual([
        "No image repository was recorded for this object; finalizer released"
      ])
    }).pipe(Effect.provide(world("free"))))
})

describe("Normal Events of the legacy Component flow", () => {
  const componentUrl = `quay.io/${organization}/${namespace}/city-transit/billing`

  it.effect("generated, toggled and released, each once", () =>
    Effect.gen(function*() {
      yield* applyComponent("billing", { [generate]: '{"visibility": "public"}', [deleteImageRepo]: "true" })
      yield* convergeComponent("billing")
      yield* annotateComponent("billing", { [generate]: '{"visibility": "private"}' })
      yield* convergeComponent("billing")
      const tokens = yield* robotTokens
      yield* deleteComponent("billing")
      yield* reconcileComponent(ref("billing"))
      expect((yield* normalEvents("billing")).map((e) => [e.reason, e.message])).toEqual([
        ["CleanedUp", `Deleted the push and pull robot accounts and repository ${componentUrl} from Quay; finalizer released`],
        [
          "ImageGenerated",
          `Generated public image repository ${componentUrl} with push and pull robot accounts and Secret billing`
        ],
        ["VisibilityChanged", `Changed visibility of ${componentUrl} from public to private`]
      ])
      expect((yield* eventCountsAbout("billing")).every(([, count]) => count === 1)).toBe(true)
      yield* expectNoTokenIn("billing", tokens)
    }).pipe(Effect.provide(world())))

  it.effect("a Component released without delete-image-repo says its repository was kept", () =>
    Effect.gen(function*() {
      yield* applyComponent("billing", { [generate]: '{"visibility": "public"}' })
      yield* convergeComponent("billing")
      yield* deleteComponent("billing")
      yield* reconcileComponent(ref("billing"))
      expect((yield* normalEvents("billing")).find((e) => e.reason === "CleanedUp")?.message).toBe(
        `Deleted the push and pull robot accounts from Quay; repository ${componentUrl} kept (no delete-image-repo annotation); finalizer released`
      )
    }).pipe(Effect.provide(world())))
})
