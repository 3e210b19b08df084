import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import {
  type ImageRepository,
  ImageRepository as ImageRepositorySchema,
  skipRepositoryDeletionAnnotation
} from "../../src/domain/ImageRepository.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { sweepOrphans } from "../../src/programs/sweepOrphans.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  applyImageRepository,
  componentLabels,
  converge,
  cost,
  editImageRepository,
  linksOf,
  namespace,
  pipelineAccount,
  putServiceAccount,
  ref,
  world
} from "./World.ts"
import {
  addForeignObjects,
  deleteEverything,
  DeletionFaults,
  foreign,
  guardDeletions,
  nothingOfOursLeft
} from "./DeletionScenario.ts"
import { injectWorldFault, worldFaults } from "./WorldFaults.ts"

/**
 * Random sequences of what users do, interleaved with Quay and apiserver faults and partial reconciles; then
 * the reconciler runs to quiescence and the invariants must hold. Scenarios come from these Schemas through
 * Arbitrary.make (what @effect/vitest's prop does with a Schema).
 */
const Name = Schema.Literal("a", "b", "c")
const Visibility = Schema.Literal("public", "private")
const RequestedName = Schema.Literal("default", "custom", "test-ns/prefixed", "/other-ns/escape", "Upper", "a/../b")
const Role = Schema.Literal("push", "pull")

const Action = Schema.Union(
  Schema.TaggedStruct("Create", {
    name: Name,
    image: RequestedName,
    visibility: Schema.Literal("public", "private", "internal", "unset"),
    component: Schema.Boolean,
    // Most objects also have their labels edited once they are provisioned (the spec: that changes nothing).
    relabel: Schema.Literal("later", "component", "other-component", "none")
  }),
  Schema.TaggedStruct("EditName", { name: Name, to: RequestedName }),
  Schema.TaggedStruct("SetVisibility", { name: Name, visibility: Visibility }),
  Schema.TaggedStruct("RegenerateToken", { name: Name }),
  Schema.TaggedStruct("VerifyLinking", { name: Name }),
  Schema.TaggedStruct("DeleteSecret", { name: Name, role: Role }),
  Schema.TaggedStruct("UnlinkSecret", { name: Name }),
  // Labels edited after the object was provisioned: they must change nothing.
  Schema.TaggedStruct("EditLabels", { name: Name, to: Schema.Literal("component", "other-component", "none") }),
  Schema.TaggedStruct("CreateAccount", {}),
  Schema.TaggedStruct("Delete", { name: Name }),
  Schema.TaggedStruct("SkipRepositoryDeletion", { name: Name }),
  ...worldFaults,
  Schema.TaggedStruct("Reconcile", { name: Name })
)
type Action = typeof Action.Type

const Scenario = Schema.Struct({
  plan: Schema.Literal("free", "paid"),
  /** Whether the pipeline ServiceAccount exists from the start, or only once a CreateAccount comes (if ever). */
  accountFromStart: Schema.Boolean,
  actions: Schema.Array(Action).pipe(Schema.minItems(1), Schema.maxItems(14)),
  deletion: DeletionFaults
})
type Scenario = typeof Scenario.Type

const names: ReadonlyArray<typeof Name.Type> = ["a", "b", "c"]
const labelsFor = (to: "component" | "other-component" | "none") =>
  to === "none" ? {} : componentLabels(to === "component" ? "comp" : "other").labels

/** What each object was created as: the decision provisioning must record and keep. */
type Created = Map<string, boolean>

const imageNameFor = (requested: typeof RequestedName.Type, object: string): string | undefined =>
  requested === "default" ? undefined : requested === "custom" ? `custom-${object}` : requested

const secretOf = (name: string, role: "push" | "pull" = "push") => `${name}-image-${role}`

const exists = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.getRaw(Kinds.ImageRepository, ref(name))).pipe(
    Effect.map(Option.isSome)
  )

/** Whether the object has recorded its repository (and with it, whether it is a component repository). */
const provisioned = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.getRaw(Kinds.ImageRepository, ref(name))).pipe(
    Effect.map(Option.flatMap(Schema.decodeUnknownOption(ImageRepositorySchema))),
    Effect.map((ir) => Option.isSome(ir) && ir.value.status?.image?.url !== undefined)
  )

/**
 * Replaces the object's labels once it is provisioned (a reconcile first, so that it usually is): before that,
 * labels still count, since the object is not yet "created" for the operator.
 */
const relabel = (name: string, to: "component" | "other-component" | "none") =>
  Effect.gen(function*() {
    yield* Effect.ignore(reconcileImageRepository(ref(name)))
    if (!(yield* provisioned(name))) return
    const cleared = { "appstudio.redhat.com/component": null, "appstudio.redhat.com/application": null }
    yield* editImageRepository(name, { metadata: { labels: { ...cleared, ...labelsFor(to) } } })
  })

const perform = (action: Action, created: Created) =>
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
          action.component ? componentLabels() : undefined
        )
        created.set(action.name, action.component)
        if (action.relabel !== "later") yield* relabel(action.name, action.relabel)
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
        yield* kube.remove(Kinds.Secret, { namespace, name: secretOf(action.name, action.role) })
        return
      case "UnlinkSecret": {
        const links = yield* linksOf(pipelineAccount)
        if (links !== undefined) {
          yield* putServiceAccount(pipelineAccount, links.secrets.filter((s) => s !== secretOf(action.name)), links.imagePullSecrets)
        }
        return
      }
      case "EditLabels":
        if (present) yield* relabel(action.name, action.to)
        return
      case "CreateAccount":
        if ((yield* linksOf(pipelineAccount)) === undefined) yield* putServiceAccount(pipelineAccount)
        return
      case "Delete":
        if (present) yield* kube.delete(Kinds.ImageRepository, ref(action.name))
        return
      case "SkipRepositoryDeletion":
        if (present) yield* editImageRepository(action.name, { metadata: { annotations: { [skipRepositoryDeletionAnnotation]: "true" } } })
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

/** The credentials a Secret of the object holds for its image URL. */
const credentialsOf = (ir: ImageRepository, role: "push" | "pull") =>
  Effect.flatMap(Kubernetes, (k) =>
    k.get(Kinds.Secret, { namespace, name: ir.status?.credentials?.[`${role}-secret`] ?? "" })
  ).pipe(Effect.map(Option.flatMap((secret) => RobotSecret.credentialsIn(secret, ir.status?.image?.url ?? ""))))

const checkInvariants = (created: Created) =>
  Effect.gen(function*() {
    const kubernetes = yield* Kubernetes
    const quay = yield* QuayInMemory.QuayControl
    const objects = (yield* kubernetes.list(Kinds.ImageRepository, { namespace })).items
    const snapshot = yield* quay.snapshot
    const quayRepositories = snapshot.repositories.map((r) => r.name)

    // Names never leave their namespace.
    for (const repository of quayRepositories) expect(repository.startsWith(`${namespace}/`)).toBe(true)

    const accountedRepositories = new Set<string>(foreign.repositories)
    const accountedRobots = new Set<string>(foreign.robots)
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

      // It is a component repository exactly when it was created as one, whatever its labels say now.
      const component = created.get(ir.metadata.name) === true
      expect(ir.status?.component).toEqual(component ? { name: "comp", application: "app" } : undefined)
      expect(ir.status?.credentials?.["pull-secret"]).toBe(component ? secretOf(ir.metadata.name, "pull") : undefined)

      // Its push Secret's credentials push to exactly its repository.
      const push = yield* credentialsOf(ir, "push")
      expect(Option.isSome(push)).toBe(true)
      if (Option.isSome(push)) {
        for (const other of quayRepositories) {
          expect(yield* quay.authorize(push.value.username, push.value.token, other, "push")).toBe(other === repository)
        }
      }
      // A component repository's pull Secret pulls its repository and pushes nowhere.
      if (component) {
        accountedRobots.add(ir.status?.credentials?.["pull-robot-account"] ?? "")
        const pull = yield* credentialsOf(ir, "pull")
        expect(Option.isSome(pull)).toBe(true)
        if (Option.isSome(pull)) {
          expect(pull.value.username.endsWith("_pull")).toBe(true)
          expect(yield* quay.authorize(pull.value.username, pull.value.token, repository, "pull")).toBe(true)
          for (const other of quayRepositories) {
            expect(yield* quay.authorize(pull.value.username, pull.value.token, other, "push")).toBe(false)
          }
        }
      }
    }
    // A repository kept on purpose (skip-repository-deletion, even when added while its object was being deleted)
    // carries no mark any more: the user's to keep, accounted for by its description.
    for (const r of snapshot.repositories) {
      if ((r.description ?? "").startsWith("Kept by image-repository-operator when ImageRepository")) accountedRepositories.add(r.name)
    }
    // No robot or repository that no object accounts for.
    for (const repository of quayRepositories) expect(accountedRepositories.has(repository)).toBe(true)
    for (const robot of snapshot.robots) expect(accountedRobots.has(robot.shortName)).toBe(true)

    // No duplicate links; a component repository's push Secret is linked once, never as an imagePullSecret; a
    // general-purpose one's, and any pull Secret, are linked by no one.
    const links = yield* linksOf(pipelineAccount)
    if (links !== undefined) {
      expect(new Set(links.secrets).size).toBe(links.secrets.length)
      for (const ir of objects) {
        const name = ir.metadata.name
        expect(links.imagePullSecrets).not.toContain(secretOf(name))
        expect(links.secrets).not.toContain(secretOf(name, "pull"))
        const ready = ir.status?.state === "ready"
        if (ready && created.get(name) === true) expect(links.secrets).toContain(secretOf(name))
        if (ready && created.get(name) === false) expect(links.secrets).not.toContain(secretOf(name))
      }
    }
  })

export const runScenario = (scenario: Scenario) =>
  Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const quay = yield* QuayInMemory.QuayControl
    const created: Created = new Map()
    if (scenario.accountFromStart) yield* putServiceAccount(pipelineAccount)
    yield* addForeignObjects
    const { guarded, unmarkedDeletions } = guardDeletions(quay, yield* Quay)
    yield* Effect.gen(function*() {
      for (const action of scenario.actions) yield* perform(action, created)
      yield* quay.clearFaults
      yield* kube.clearFaults
      for (const name of names) yield* converge(name)
      yield* checkInvariants(created)
      // A converged world costs nothing: one more pass over every object makes no Quay call and no write.
      const before = yield* cost
      for (const name of names) yield* reconcileImageRepository(ref(name))
      expect(yield* cost).toEqual(before)

      yield* deleteEverything(names, exists, scenario.deletion, guarded)
      yield* quay.clearFaults
      for (const name of names) yield* converge(name)
      yield* sweepOrphans({ dryRun: false })
    }).pipe(Effect.provideService(Quay, guarded))
    yield* nothingOfOursLeft(unmarkedDeletions)
  }).pipe(Effect.provide(world(scenario.plan)))

export const propertyRuns = 300

describe("the reconciler under random user actions and faults", () => {
  it.effect.prop("reaches a world where every invariant holds", { scenario: Scenario }, ({ scenario }) => runScenario(scenario), {
    // A hang guard, sized for a loaded 2-core machine: it bounds, never times.
    timeout: 300_000,
    fastCheck: { numRuns: propertyRuns }
  })
})
