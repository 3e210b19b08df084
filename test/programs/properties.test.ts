import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import * as PushSecret from "../../src/domain/PushSecret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { applyImageRepository, converge, cost, editImageRepository, namespace, ref, world } from "./World.ts"
import { injectWorldFault, worldFaults } from "./WorldFaults.ts"

/**
 * Random sequences of what users do, interleaved with Quay and apiserver faults and partial reconciles; then
 * the reconciler runs to quiescence and the invariants must hold. Scenarios come from these Schemas through
 * Arbitrary.make (what @effect/vitest's prop does with a Schema).
 */
const Name = Schema.Literal("a", "b", "c")
const Visibility = Schema.Literal("public", "private")
const RequestedName = Schema.Literal("default", "custom", "test-ns/prefixed", "/other-ns/escape", "Upper", "a/../b")

const Action = Schema.Union(
  Schema.TaggedStruct("Create", {
    name: Name,
    image: RequestedName,
    visibility: Schema.Literal("public", "private", "internal", "unset"),
    component: Schema.Boolean
  }),
  Schema.TaggedStruct("EditName", { name: Name, to: RequestedName }),
  Schema.TaggedStruct("SetVisibility", { name: Name, visibility: Visibility }),
  Schema.TaggedStruct("RegenerateToken", { name: Name }),
  Schema.TaggedStruct("VerifyLinking", { name: Name }),
  Schema.TaggedStruct("DeleteSecret", { name: Name }),
  Schema.TaggedStruct("UnlinkSecret", { name: Name }),
  Schema.TaggedStruct("Delete", { name: Name }),
  ...worldFaults,
  Schema.TaggedStruct("Reconcile", { name: Name })
)
type Action = typeof Action.Type

const Scenario = Schema.Struct({
  plan: Schema.Literal("free", "paid"),
  actions: Schema.Array(Action).pipe(Schema.minItems(1), Schema.maxItems(14))
})
type Scenario = typeof Scenario.Type

const buildAccount = "build-pipeline-comp"
const names: ReadonlyArray<typeof Name.Type> = ["a", "b", "c"]

const imageNameFor = (requested: typeof RequestedName.Type, object: string): string | undefined =>
  requested === "default" ? undefined : requested === "custom" ? `custom-${object}` : requested

const secretOf = (name: string) => `${name}-image-push`

const exists = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.getRaw(Kinds.ImageRepository, ref(name))).pipe(
    Effect.map(Option.isSome)
  )

const perform = (action: Action) =>
  Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const present = "name" in action ? yield* exists(action.name) : false
    switch (action._tag) {
      case "Create": {
        if (present) return
        const image = imageNameFor(action.image, action.name)
        yield* applyImageRepository(
          action.name,
          {
            image: {
              ...(image === undefined ? {} : { name: image }),
              ...(action.visibility === "unset" ? {} : { visibility: action.visibility })
            }
          },
          action.component ? { labels: { "appstudio.redhat.com/component": "comp" } } : undefined
        )
        return
      }
      case "EditName":
        if (present) yield* editImageRepository(action.name, { spec: { image: { name: imageNameFor(action.to, action.name) ?? null } } })
        return
      case "SetVisibility":
        if (present) yield* editImageRepository(action.name, { spec: { image: { visibility: action.visibility } } })
        return
      case "RegenerateToken":
        if (present) yield* editImageRepository(action.name, { spec: { credentials: { "regenerate-token": true } } })
        return
      case "VerifyLinking":
        if (present) yield* editImageRepository(action.name, { spec: { credentials: { "verify-linking": true } } })
        return
      case "DeleteSecret":
        yield* kube.remove(Kinds.Secret, { namespace, name: secretOf(action.name) })
        return
      case "UnlinkSecret": {
        const sa = yield* kube.getRaw(Kinds.ServiceAccount, { namespace, name: buildAccount })
        const secrets = Option.match(sa, { onNone: () => [], onSome: (s) => (s["secrets"] ?? []) as Array<{ name: string }> })
        yield* kube.patch(Kinds.ServiceAccount, { namespace, name: buildAccount }, {
          secrets: secrets.filter((s) => s.name !== secretOf(action.name))
        })
        return
      }
      case "Delete":
        if (present) yield* kube.delete(Kinds.ImageRepository, ref(action.name))
        return
      case "SetPlan":
      case "QuayFaults":
      case "KubernetesFaults":
        return yield* injectWorldFault(action)
      case "Reconcile":
        // A reconcile while faults may be pending: failures are the work queue's to retry.
        yield* Effect.ignore(reconcileImageRepository(ref(action.name)))
        return
    }
  })

const checkInvariants = Effect.gen(function*() {
  const kubernetes = yield* Kubernetes
  const quay = yield* QuayInMemory.QuayControl
  const objects = (yield* kubernetes.list(Kinds.ImageRepository, { namespace })).items
  const snapshot = yield* quay.snapshot
  const quayRepositories = snapshot.repositories.map((r) => r.name)

  // Names never leave their namespace.
  for (const repository of quayRepositories) expect(repository.startsWith(`${namespace}/`)).toBe(true)

  const accountedRepositories = new Set<string>()
  const accountedRobots = new Set<string>()
  for (const ir of objects) {
    if (ir.status?.state === "failed") {
      // A failed object accounts for what it may have created before failing; its deletion removes that.
      accountedRepositories.add(`${namespace}/${imageNameFor("custom", ir.metadata.name)}`)
      for (const r of snapshot.robots) if (r.description.includes(`(uid ${ir.metadata.uid})`)) accountedRobots.add(r.shortName)
      for (const r of snapshot.repositories) if ((r.description ?? "").includes(`(uid ${ir.metadata.uid})`)) accountedRepositories.add(r.name)
      continue
    }
    // Every non-failed object is ready, its one-shot flags are gone, and it matches Quay.
    expect(ir.status?.state).toBe("ready")
    expect(ir.spec?.credentials?.["regenerate-token"]).toBeUndefined()
    expect(ir.spec?.credentials?.["verify-linking"]).toBeUndefined()
    const url = ir.status?.image?.url ?? ""
    const repository = url.replace(`quay.io/${quay.organization}/`, "")
    const inQuay = snapshot.repositories.find((r) => r.name === repository)
    expect(inQuay?.visibility).toBe(ir.status?.image?.visibility)
    expect(ir.spec?.image?.visibility).toBe(ir.status?.image?.visibility)
    accountedRepositories.add(repository)
    accountedRobots.add(ir.status?.credentials?.["push-robot-account"] ?? "")

    // Its Secret's credentials push to exactly its repository.
    const secret = yield* kubernetes.get(Kinds.Secret, { namespace, name: ir.status?.credentials?.["push-secret"] ?? "" })
    const credentials = Option.flatMap(secret, (s) => PushSecret.credentialsIn(s, url))
    expect(Option.isSome(credentials)).toBe(true)
    if (Option.isSome(credentials)) {
      for (const other of quayRepositories) {
        expect(yield* quay.authorize(credentials.value.username, credentials.value.token, other, "push")).toBe(other === repository)
      }
    }
  }
  // No robot or repository that no object accounts for.
  for (const repository of quayRepositories) expect(accountedRepositories.has(repository)).toBe(true)
  for (const robot of snapshot.robots) expect(accountedRobots.has(robot.shortName)).toBe(true)

  // No duplicate links; a Component's push Secret is linked once, never as an imagePullSecret.
  const sa = yield* kubernetes.get(Kinds.ServiceAccount, { namespace, name: buildAccount })
  if (Option.isSome(sa)) {
    const linked = (sa.value.secrets ?? []).map((s) => s.name)
    expect(new Set(linked).size).toBe(linked.length)
    const pulls = (sa.value.imagePullSecrets ?? []).map((s) => s.name)
    for (const ir of objects) {
      expect(pulls).not.toContain(secretOf(ir.metadata.name))
      if (ir.metadata.labels?.["appstudio.redhat.com/component"] === "comp" && ir.status?.state === "ready") {
        expect(linked).toContain(secretOf(ir.metadata.name))
      }
    }
  }
})

export const runScenario = (scenario: Scenario) =>
  Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const quay = yield* QuayInMemory.QuayControl
    yield* kube.put(Kinds.ServiceAccount, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: buildAccount, namespace }
    })
    for (const action of scenario.actions) yield* perform(action)
    yield* quay.clearFaults
    yield* kube.clearFaults
    for (const name of names) yield* converge(name)
    yield* checkInvariants
    // A converged world costs nothing: one more pass over every object makes no Quay call and no write.
    const before = yield* cost
    for (const name of names) yield* reconcileImageRepository(ref(name))
    expect(yield* cost).toEqual(before)
  }).pipe(Effect.provide(world(scenario.plan)))

export const propertyRuns = 300

describe("the reconciler under random user actions and faults", () => {
  it.effect.prop("reaches a world where every invariant holds", { scenario: Scenario }, ({ scenario }) => runScenario(scenario), {
    timeout: 120_000,
    fastCheck: { numRuns: propertyRuns }
  })
})
