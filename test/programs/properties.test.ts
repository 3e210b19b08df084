import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Option, Schema, TestClock } from "effect"
import { skipRepositoryDeletionAnnotation } from "../../src/domain/ImageRepository.ts"
import { markedOwner } from "../../src/domain/Ownership.ts"
import * as PushSecret from "../../src/domain/PushSecret.ts"
import { toMillis } from "../../src/domain/Timestamp.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { CleanupDeadline } from "../../src/programs/CleanupDeadline.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { sweepOrphans } from "../../src/programs/sweepOrphans.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { Quay } from "../../src/services/Quay.ts"
import { QuayUnauthorized } from "../../src/services/QuayError.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { refuseQuay } from "./QuaySpy.ts"
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
  Schema.TaggedStruct("SkipRepositoryDeletion", { name: Name }),
  ...worldFaults,
  Schema.TaggedStruct("Reconcile", { name: Name })
)
type Action = typeof Action.Type

/**
 * What Quay does while every object is deleted at the end: nothing wrong, an outage, rate limiting, or a revoked
 * organisation token, recovering after some minutes (past the 5-minute deadline when 6 or more).
 */
const DeletionFaults = Schema.Struct({
  kind: Schema.Literal("none", "outage", "throttled", "revokedToken"),
  recoversAfterMinutes: Schema.Int.pipe(Schema.between(0, 7))
})

const Scenario = Schema.Struct({
  plan: Schema.Literal("free", "paid"),
  actions: Schema.Array(Action).pipe(Schema.minItems(1), Schema.maxItems(14)),
  deletion: DeletionFaults
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

const checkInvariants = Effect.gen(function*() {
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

/** What someone else keeps in the organization: no mark, or a stray one in their own words. Never to be deleted. */
const foreign = {
  repositories: [`${namespace}/by-hand`, `${namespace}/notes`],
  robots: ["someone_s_robot"]
} as const

const addForeignObjects = Effect.gen(function*() {
  const quay = yield* QuayInMemory.QuayControl
  const api = yield* Quay
  yield* quay.outOfBand.createRepository({ name: `${namespace}/by-hand`, description: "AppStudio repository for the user" })
  yield* quay.outOfBand.createRepository({ name: `${namespace}/notes`, description: "see (uid 0000) for details" })
  yield* api.createRobot("someone_s_robot", "Robot account for Konflux Component")
})

/**
 * The programs' Quay, with a witness: every deletion of a robot or repository that exists without the operator's
 * mark is written down (the original controller's objects, unmarked, are not part of these scenarios).
 */
const guardDeletions = (quay: QuayInMemory.QuayControl, api: Quay) => {
  const unmarkedDeletions: Array<string> = []
  const check = (kind: "robot" | "repository", name: string) =>
    Effect.flatMap(quay.snapshot, (snapshot) =>
      Effect.sync(() => {
        const found = kind === "robot"
          ? snapshot.robots.find((r) => r.shortName === name)
          : snapshot.repositories.find((r) => r.name === name)
        if (found !== undefined && markedOwner(found.description) === undefined) unmarkedDeletions.push(`${kind} ${name}`)
      }))
  const guarded: Quay = {
    ...api,
    deleteRobot: (name) => Effect.zipRight(check("robot", name), api.deleteRobot(name)),
    deleteRepository: (name) => Effect.zipRight(check("repository", name), api.deleteRepository(name))
  }
  return { guarded, unmarkedDeletions }
}

/**
 * Every object is deleted while Quay misbehaves as `faults` says; minute by minute the controller reconciles what
 * is left and the sweep runs (failing while Quay does). No deletion may outlast its deadline; once Quay answers
 * again and the sweep has run, Quay holds nothing of the operator's.
 */
const deleteEverything = (faults: typeof DeletionFaults.Type, api: Quay) => {
  let revoked = faults.kind === "revokedToken"
  const refused = refuseQuay(api, new QuayUnauthorized({ status: 401, detail: "invalid_token" }), { failing: () => revoked })
  return Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const kubernetes = yield* Kubernetes
    const quay = yield* QuayInMemory.QuayControl
    const bound = Duration.toMillis(yield* CleanupDeadline)
    if (faults.kind === "outage") yield* quay.injectFaults({ kind: "5xx", rate: 1 })
    if (faults.kind === "throttled") yield* quay.injectFaults({ kind: "429", rate: 1 })
    const recover = Effect.andThen(quay.clearFaults, Effect.sync(() => { revoked = false }))

    for (const name of names) if (yield* exists(name)) yield* kube.delete(Kinds.ImageRepository, ref(name))
    for (let minute = 0; minute <= 6; minute++) {
      if (minute === faults.recoversAfterMinutes) yield* recover
      for (const name of names) yield* Effect.ignore(reconcileImageRepository(ref(name)))
      yield* Effect.ignore(sweepOrphans({ dryRun: false }))
      // No deletion is stuck past its deadline: a reconcile at or after it always lets the object go.
      const now = yield* Clock.currentTimeMillis
      for (const ir of (yield* kubernetes.list(Kinds.ImageRepository, { namespace })).items) {
        const deadline = (toMillis(ir.metadata.deletionTimestamp) ?? Number.POSITIVE_INFINITY) + bound
        expect(now < deadline, `${ir.metadata.name} still held ${now - deadline} ms past its deadline`).toBe(true)
      }
      yield* TestClock.adjust("1 minute")
    }
    yield* recover
  }).pipe(Effect.provideService(Quay, refused))
}

export const runScenario = (scenario: Scenario) =>
  Effect.gen(function*() {
    const kube = yield* KubernetesInMemory.KubernetesControl
    const quay = yield* QuayInMemory.QuayControl
    yield* kube.put(Kinds.ServiceAccount, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: buildAccount, namespace }
    })
    yield* addForeignObjects
    const { guarded, unmarkedDeletions } = guardDeletions(quay, yield* Quay)
    yield* Effect.gen(function*() {
      for (const action of scenario.actions) yield* perform(action)
      yield* quay.clearFaults
      yield* kube.clearFaults
      for (const name of names) yield* converge(name)
      yield* checkInvariants
      // A converged world costs nothing: one more pass over every object makes no Quay call and no write.
      const before = yield* cost
      for (const name of names) yield* reconcileImageRepository(ref(name))
      expect(yield* cost).toEqual(before)

      yield* deleteEverything(scenario.deletion, guarded)
      yield* quay.clearFaults
      for (const name of names) yield* converge(name)
      yield* sweepOrphans({ dryRun: false })
    }).pipe(Effect.provideService(Quay, guarded))

    expect((yield* Effect.flatMap(Kubernetes, (k) => k.list(Kinds.ImageRepository, { namespace }))).items).toEqual([])
    const left = yield* quay.snapshot
    // Nothing of ours: no robot but someone else's, no repository that carries our mark.
    expect(left.robots.map((r) => r.shortName)).toEqual([...foreign.robots])
    for (const repository of left.repositories) expect(markedOwner(repository.description)).toBeUndefined()
    // Someone else's are all still there, and nothing without our mark was ever deleted.
    for (const repository of foreign.repositories) expect(left.repositories.map((r) => r.name)).toContain(repository)
    expect(unmarkedDeletions).toEqual([])
  }).pipe(Effect.provide(world(scenario.plan)))

export const propertyRuns = 300

describe("the reconciler under random user actions and faults", () => {
  it.effect.prop("reaches a world where every invariant holds", { scenario: Scenario }, ({ scenario }) => runScenario(scenario), {
    // A hang guard, sized for a loaded 2-core machine: it bounds, never times.
    timeout: 300_000,
    fastCheck: { numRuns: propertyRuns }
  })
})
