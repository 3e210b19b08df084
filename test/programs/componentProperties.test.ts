import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { finalizer } from "../../src/domain/Component.ts"
import { imageAnswer, isGenerated } from "../../src/domain/ComponentImageAnnotations.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { privateRefusedMessage } from "../../src/programs/generateComponentImage.ts"
import { reconcileComponent } from "../../src/programs/reconcileComponent.ts"
import { sweepOrphans } from "../../src/programs/sweepOrphans.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { annotateComponent, applyComponent, convergeComponent, deleteImageRepo, generate } from "./ComponentWorld.ts"
import { cost, namespace, ref, world } from "./World.ts"
import { injectWorldFault, worldFaults } from "./WorldFaults.ts"

/**
 * Random legacy annotations and edits, interleaved with Quay and apiserver faults and partial reconciles; then
 * the reconciler runs to quiescence and the invariants must hold. Scenarios come from these Schemas.
 */
const Name = Schema.Literal("a", "b", "c")
const Request = Schema.Literal("public", "private", "true", "false", "badJson", "unknownVisibility")
const SpecShape = Schema.Literal("valid", "noApplication", "badApplication")

const Action = Schema.Union(
  Schema.TaggedStruct("Create", {
    name: Name,
    spec: SpecShape,
    request: Schema.Union(Request, Schema.Literal("none")),
    deleteRepo: Schema.Boolean
  }),
  Schema.TaggedStruct("Request", { name: Name, request: Request }),
  Schema.TaggedStruct("SetDeleteRepo", { name: Name, on: Schema.Boolean }),
  Schema.TaggedStruct("RemoveFinalizer", { name: Name }),
  Schema.TaggedStruct("Delete", { name: Name }),
  ...worldFaults,
  Schema.TaggedStruct("Reconcile", { name: Name })
)
type Action = typeof Action.Type

const Actions = Schema.Array(Action).pipe(Schema.minItems(1), Schema.maxItems(10))

/** Two rounds, each run to quiescence and checked: the second acts on what the first generated. */
const Scenario = Schema.Struct({
  plan: Schema.Literal("free", "paid"),
  first: Actions,
  then: Actions
})
type Scenario = typeof Scenario.Type

const names: ReadonlyArray<typeof Name.Type> = ["a", "b", "c"]

const requestValue = (request: typeof Request.Type): string => {
  switch (request) {
    case "public":
      return '{"visibility": "public"}'
    case "private":
      return '{"visibility":"private"}'
    case "badJson":
      return "{visibility: private"
    case "unknownVisibility":
      return '{"visibility": "internal"}'
    default:
      return request
  }
}

const asksToGenerate = (request: typeof Request.Type | "none") =>
  request === "public" || request === "private" || request === "true"

const specOf = (shape: typeof SpecShape.Type, name: string): Record<string, unknown> =>
  shape === "valid"
    ? { application: "app", componentName: name }
    : shape === "noApplication"
    ? { componentName: name }
    : { application: "App", componentName: name }

/** What the test knows of each Component it made, by uid: enough to say what Quay may still hold of it. */
interface History {
  readonly name: string
  readonly validSpec: boolean
  /** A request Quay could act on was made while it lived (an overestimate: a later one may have replaced it). */
  validRequest: boolean
  /** Deleted, whether it carried delete-image-repo then, and whether its finalizer was still there to hand it over. */
  deleted?: { readonly deleteRepo: boolean; readonly withFinalizer: boolean }
}

const raw = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.getRaw(Kinds.Component, ref(name))).pipe(
    Effect.map(Option.map((o) =>
      o["metadata"] as {
        uid: string
        deletionTimestamp?: string
        annotations?: Record<string, string>
        finalizers?: ReadonlyArray<string>
      }
    ))
  )

const perform = (action: Action, histories: Map<string, History>) =>
  Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const meta = "name" in action ? Option.getOrUndefined(yield* raw(action.name)) : undefined
    const live = meta !== undefined && meta.deletionTimestamp === undefined
    switch (action._tag) {
      case "Create": {
        if (meta !== undefined) return
        yield* applyComponent(
          action.name,
          {
            ...(action.request === "none" ? {} : { [generate]: requestValue(action.request) }),
            ...(action.deleteRepo ? { [deleteImageRepo]: "true" } : {})
          },
          specOf(action.spec, action.name)
        )
        const created = yield* raw(action.name)
        if (Option.isSome(created)) {
          histories.set(created.value.uid, {
            name: action.name,
            validSpec: action.spec === "valid",
            validRequest: asksToGenerate(action.request)
          })
        }
        return
      }
      case "Request":
        if (meta === undefined) return
        yield* annotateComponent(action.name, { [generate]: requestValue(action.request) })
        if (live && asksToGenerate(action.request)) {
          const history = histories.get(meta.uid)
          if (history !== undefined) history.validRequest = true
        }
        return
      case "SetDeleteRepo":
        if (live) yield* annotateComponent(action.name, { [deleteImageRepo]: action.on ? "true" : null })
        return
      case "RemoveFinalizer":
        if (live) yield* kube.patch(Kinds.Component, ref(action.name), { metadata: { finalizers: null } })
        return
      case "Delete": {
        if (!live) return
        const history = histories.get(meta.uid)
        if (history !== undefined) {
          history.deleted = {
            deleteRepo: meta.annotations?.[deleteImageRepo] !== undefined,
            withFinalizer: (meta.finalizers ?? []).includes(finalizer)
          }
        }
        yield* kube.delete(Kinds.Component, ref(action.name))
        return
      }
      case "SetPlan":
      case "QuayFaults":
      case "KubernetesFaults":
        return yield* injectWorldFault(action)
      case "Reconcile":
        // A reconcile while faults may be pending: failures are the work queue's to retry.
        return yield* Effect.ignore(reconcileComponent(ref(action.name)))
    }
  })

const markOf = (uid: string) => `(uid ${uid})`
const keptBy = "Kept by image-repository-operator when Component"

const checkInvariants = (histories: Map<string, History>) =>
  Effect.gen(function*() {
    const kubernetes = yield* Kubernetes
    const quay = yield* QuayInMemory.QuayControl
    const snapshot = yield* quay.snapshot
    const components = (yield* kubernetes.list(Kinds.Component, { namespace })).items
    const liveUids = new Set(components.map((c) => c.metadata.uid ?? ""))
    const marked = (uid: string) => ({
      repositories: snapshot.repositories.filter((r) => (r.description ?? "").includes(markOf(uid))),
      robots: snapshot.robots.filter((r) => r.description.includes(markOf(uid)))
    })

    for (const component of components) {
      const uid = component.metadata.uid ?? ""
      const history = histories.get(uid)
      const annotations = component.metadata.annotations ?? {}
      const answer = imageAnswer(annotations)
      const ours = marked(uid)
      // Every request was answered (`false` asks for nothing and stays).
      expect([undefined, "false"]).toContain(annotations[generate])

      // Nothing created for bad input: no Quay object, and no finalizer, for a Component never validly asked.
      if (history !== undefined && !(history.validSpec && history.validRequest)) {
        expect(ours).toEqual({ repositories: [], robots: [] })
        expect(component.metadata.finalizers ?? []).not.toContain(finalizer)
        expect(isGenerated(answer)).toBe(false)
      }

      // A generated repository matches the answer, and its Secret pushes to exactly it.
      if (isGenerated(answer)) {
        const repository = (answer.image ?? "").replace(`quay.io/${quay.organization}/`, "")
        const inQuay = snapshot.repositories.find((r) => r.name === repository)
        expect(inQuay?.visibility).toBe(answer.visibility)
        expect(inQuay?.description ?? "").toContain(markOf(uid))
        expect(ours.robots).toHaveLength(2)
        expect(component.metadata.finalizers).toContain(finalizer)
        const secret = yield* kubernetes.get(Kinds.Secret, { namespace, name: answer.secret ?? "" })
        const credentials = Option.flatMap(secret, (s) => RobotSecret.credentialsIn(s, answer.image ?? ""))
        expect(Option.isSome(credentials)).toBe(true)
        if (Option.isSome(credentials)) {
          for (const other of snapshot.repositories) {
            expect(yield* quay.authorize(credentials.value.username, credentials.value.token, other.name, "push")).toBe(
              other.name === repository
            )
          }
        }
      }
      // A private request the plan refused: the repository is absent or still public.
      if (answer.message === privateRefusedMessage) {
        for (const repository of ours.repositories) expect(repository.visibility).toBe("public")
      }
      // Anything of it in Quay is still reachable by its deletion: the finalizer is there.
      if (ours.repositories.length + ours.robots.length > 0) expect(component.metadata.finalizers).toContain(finalizer)
    }

    // After deletion and the sweep, nothing of a deleted Component is left marked: its robots are gone, and so is
    // its repository, unless its own clean-up kept it (no delete-image-repo), unmarked. A Component whose finalizer
    // a user removed before deleting it was never cleaned up by the operator: the sweep took what it left.
    for (const [uid, history] of histories) {
      if (liveUids.has(uid) || history.deleted === undefined) continue
      expect(marked(uid)).toEqual({ repositories: [], robots: [] })
      const kept = snapshot.repositories.filter((r) => (r.description ?? "").startsWith(`${keptBy} ${namespace}/${history.name} `))
      if (history.deleted.deleteRepo || !history.deleted.withFinalizer) expect(kept).toEqual([])
      else expect(kept.length).toBeLessThanOrEqual(1)
    }
    // Nothing in Quay that no Component accounts for: marked for one, or kept when one was deleted.
    for (const thing of [...snapshot.repositories.map((r) => r.description ?? ""), ...snapshot.robots.map((r) => r.description)]) {
      expect([...histories.keys()].some((uid) => thing.includes(markOf(uid))) || thing.startsWith(keptBy)).toBe(true)
    }
  })

const round = (actions: ReadonlyArray<Action>, histories: Map<string, History>) =>
  Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const quay = yield* QuayInMemory.QuayControl
    for (const action of actions) yield* perform(action, histories)
    yield* quay.clearFaults
    yield* kube.clearFaults
    for (const name of names) yield* convergeComponent(name)
    yield* sweepOrphans({ dryRun: false })
    yield* checkInvariants(histories)
    // A converged world costs nothing: one more pass over every Component makes no Quay call and no write.
    const before = yield* cost
    for (const name of names) yield* reconcileComponent(ref(name))
    expect(yield* cost).toEqual(before)
  })

export const runScenario = (scenario: Scenario) =>
  Effect.gen(function*() {
    const histories = new Map<string, History>()
    yield* round(scenario.first, histories)
    yield* round(scenario.then, histories)
  }).pipe(Effect.provide(world(scenario.plan)))

describe("the legacy Component flow under random annotations, edits and faults", () => {
  it.effect.prop("reaches a world where every invariant holds", { scenario: Scenario }, ({ scenario }) => runScenario(scenario), {
    timeout: 120_000,
    fastCheck: { numRuns: 300 }
  })
})
