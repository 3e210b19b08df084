import { expect } from "@effect/vitest"
import { Clock, Duration, Effect, Schema, TestClock } from "effect"
import { markedOwner } from "../../src/domain/Ownership.ts"
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
import { namespace, ref } from "./World.ts"

/**
 * The deletion phase of the property tests: someone else's objects in the organisation that must survive, a
 * witness of every deletion of an unmarked object, and every object deleted while Quay misbehaves.
 */

/**
 * What Quay does while every object is deleted at the end: nothing wrong, an outage, rate limiting, or a revoked
 * organisation token, recovering after some minutes (past the 5-minute deadline when 6 or more).
 */
export const DeletionFaults = Schema.Struct({
  kind: Schema.Literal("none", "outage", "throttled", "revokedToken"),
  recoversAfterMinutes: Schema.Int.pipe(Schema.between(0, 7))
})

/** What someone else keeps in the organization: no mark, or a stray one in their own words. Never to be deleted. */
export const foreign = {
  repositories: [`${namespace}/by-hand`, `${namespace}/notes`],
  robots: ["someone_s_robot"]
} as const

export const addForeignObjects = Effect.gen(function*() {
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
export const guardDeletions = (quay: QuayInMemory.QuayControl, api: Quay) => {
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
export const deleteEverything = (
  names: ReadonlyArray<string>,
  exists: (name: string) => Effect.Effect<boolean, never, KubernetesInMemory.KubernetesControl>,
  faults: typeof DeletionFaults.Type,
  api: Quay
) => {
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

/** After the deletion phase: nothing of ours is left in Quay, and someone else's is all still there. */
export const nothingOfOursLeft = (unmarkedDeletions: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const quay = yield* QuayInMemory.QuayControl
    expect((yield* Effect.flatMap(Kubernetes, (k) => k.list(Kinds.ImageRepository, { namespace }))).items).toEqual([])
    const left = yield* quay.snapshot
    // Nothing of ours: no robot but someone else's, no repository that carries our mark.
    expect(left.robots.map((r) => r.shortName)).toEqual([...foreign.robots])
    for (const repository of left.repositories) expect(markedOwner(repository.description)).toBeUndefined()
    // Someone else's are all still there, and nothing without our mark was ever deleted.
    for (const repository of foreign.repositories) expect(left.repositories.map((r) => r.name)).toContain(repository)
    expect(unmarkedDeletions).toEqual([])
  })
