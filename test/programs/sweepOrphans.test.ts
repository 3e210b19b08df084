import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { repositoryDescription, robotDescription } from "../../src/domain/Ownership.ts"
import { robotShortName } from "../../src/domain/RobotName.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reportLines, sweepOrphans } from "../../src/programs/sweepOrphans.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  applyImageRepository,
  converge,
  deleteImageRepository,
  mustGetImageRepository,
  namespace,
  putRecordingObject,
  quaySnapshot,
  world
} from "./World.ts"

/** What a deletion that gave up leaves behind: a robot and a repository marked for an object that is gone. */
const leftoversOf = (owner: { readonly namespace: string; readonly name: string; readonly uid: string }) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const robot = robotShortName(owner, "push", quay.organization)
    yield* quay.createRobot(robot, robotDescription(owner))
    yield* quay.createRepository({ name: `${owner.namespace}/${owner.name}`, visibility: "public", description: repositoryDescription(owner) })
    return { robot, repository: `${owner.namespace}/${owner.name}` }
  })

const names = Effect.map(quaySnapshot, (s) => ({
  robots: s.robots.map((r) => r.shortName).sort(),
  repositories: s.repositories.map((r) => r.name).sort()
}))

const imageRepositoryLists = Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
  Effect.map(k.calls, (c) => c.byKind["ImageRepository"]?.list ?? 0))

describe("the orphan sweep", () => {
  it.effect("deletes what carries the mark of a gone object; leaves what a live object owns and everything unmarked", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      yield* applyImageRepository("live")
      yield* converge("live")
      const live = yield* names
      const orphan = yield* leftoversOf({ namespace, name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000dead" })
      // Not ours: someone's own repository and robot, and a stray mark in someone's own words.
      yield* quay.createRepository({ name: `${namespace}/by-hand`, visibility: "public", description: "AppStudio repository for the user" })
      yield* quay.createRobot("someone_s_robot", "Robot account for Konflux Component")
      yield* quay.createRepository({
        name: `${namespace}/notes`,
        visibility: "public",
        description: "see (uid 9d5ce2a4-0000-4000-8000-00000000dead)"
      })

      const report = yield* sweepOrphans({ dryRun: false })
      expect(report.orphans.map((o) => [o.type, o.name]).sort()).toEqual([
        ["repository", orphan.repository],
        ["robot", orphan.robot]
      ])
      expect(report.failures).toEqual([])
      expect(yield* names).toEqual({
        robots: [...live.robots, "someone_s_robot"].sort(),
        repositories: [...live.repositories, `${namespace}/by-hand`, `${namespace}/notes`].sort()
      })
    }).pipe(Effect.provide(world())))

  it.effect("a dry run reports what it would delete and deletes nothing", () =>
    Effect.gen(function*() {
      const orphan = yield* leftoversOf({ namespace, name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000dead" })
      const before = yield* names
      const report = yield* sweepOrphans({ dryRun: true })
      expect(report.orphans).toHaveLength(2)
      expect(yield* names).toEqual(before)
      const lines = reportLines("my-org", report)
      expect(lines).toContain(
        `would delete robot my-org+${orphan.robot} (ImageRepository ${namespace}/gone, uid 9d5ce2a4-0000-4000-8000-00000000dead)`
      )
      expect(lines.at(-1)).toBe("orphan sweep (dry run): 2 to delete, 0 failed, 0 namespaces unchecked")
    }).pipe(Effect.provide(world())))

  it.effect("never acts on a mark that does not fit where it is, or that names a kind it cannot look up", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const gone = { namespace, name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000dead" }
      // A robot whose name derives from another uid than its mark names.
      yield* quay.createRobot(robotShortName({ ...gone, uid: "other" }, "push", "my-org"), robotDescription(gone))
      // A repository outside the namespace its mark names.
      yield* quay.createRepository({ name: "elsewhere/gone", visibility: "public", description: repositoryDescription(gone) })
      // A mark for a kind of owner the sweep does not look up.
      yield* quay.createRepository({
        name: `${namespace}/application`,
        visibility: "public",
        description: repositoryDescription(gone).replace("for ImageRepository", "for Application")
      })
      const before = yield* names
      const report = yield* sweepOrphans({ dryRun: false })
      expect(report.orphans).toEqual([])
      expect(yield* names).toEqual(before)
    }).pipe(Effect.provide(world())))

  it.effect("an object being deleted still owns what it has, and a repository a live object uses is left alone", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* applyImageRepository("deleting")
      yield* converge("deleting")
      yield* deleteImageRepository("deleting")
      // Its cleanup has not run yet: the object is held by its finalizer, so what it has is not an orphan.
      expect((yield* sweepOrphans({ dryRun: false })).orphans).toEqual([])

      const orphan = yield* leftoversOf({ namespace, name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000dead" })
      yield* putRecordingObject("sharing", `quay.io/my-org/${orphan.repository}`)
      const report = yield* sweepOrphans({ dryRun: false })
      expect(report.orphans.map((o) => o.name)).toEqual([orphan.robot])
      yield* kube.remove(Kinds.ImageRepository, { namespace, name: "sharing" })
      expect((yield* sweepOrphans({ dryRun: false })).orphans.map((o) => o.name)).toEqual([orphan.repository])
    }).pipe(Effect.provide(world())))

  it.effect("a repository kept by skip-repository-deletion is not swept", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("kept", undefined, {
        annotations: { "image-controller.appstudio.redhat.com/skip-repository-deletion": "true" }
      })
      yield* converge("kept")
      yield* deleteImageRepository("kept")
      yield* converge("kept")
      expect((yield* sweepOrphans({ dryRun: false })).orphans).toEqual([])
      expect((yield* names).repositories).toEqual([`${namespace}/kept`])
    }).pipe(Effect.provide(world())))

  it.effect("looks owners up with one list per namespace and API group, however many Quay objects name it", () =>
    Effect.gen(function*() {
      for (const [ns, name] of [["ns-a", "one"], ["ns-a", "two"], ["ns-a", "three"], ["ns-b", "one"], ["ns-b", "two"]] as const) {
        yield* leftoversOf({ namespace: ns, name, uid: `9d5ce2a4-0000-4000-8000-${ns}-${name}` })
      }
      const before = yield* imageRepositoryLists
      const report = yield* sweepOrphans({ dryRun: false })
      expect(report.orphans).toHaveLength(10)
      // 2 namespaces × 2 API groups (appstudio.redhat.com, konflux-ci.dev), both counted under the kind name.
      expect((yield* imageRepositoryLists) - before).toBe(4)
      expect(yield* names).toEqual({ robots: [], repositories: [] })
    }).pipe(Effect.provide(world())))

  it.effect("leaves a namespace alone when its objects cannot be listed, and can be kept to one namespace", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* leftoversOf({ namespace: "ns-a", name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000000a" })
      yield* leftoversOf({ namespace: "ns-b", name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000000b" })

      const only = yield* sweepOrphans({ dryRun: true, namespace: "ns-b" })
      expect(only.orphans.map((o) => o.owner.namespace)).toEqual(["ns-b", "ns-b"])

      yield* kube.failNext(1, { verbs: ["list"] })
      const report = yield* sweepOrphans({ dryRun: false })
      expect(report.unchecked).toHaveLength(1)
      const unchecked = report.unchecked[0]?.namespace
      expect((yield* names).repositories).toEqual([`${unchecked}/gone`])
      expect(reportLines("my-org", report).at(-1)).toBe("orphan sweep: 2 deleted, 0 failed, 1 namespaces unchecked")
    }).pipe(Effect.provide(world())))

  it.effect("what Quay does not delete is reported, and the rest still goes", () =>
    Effect.gen(function*() {
      const quayControl = yield* QuayInMemory.QuayControl
      yield* leftoversOf({ namespace, name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000dead" })
      // The two lists answer; the first deletion does not.
      let calls = 0
      yield* quayControl.injectFaults({ kind: "5xx", rate: 1, random: () => (calls++ === 2 ? 0 : 1) })
      const report = yield* sweepOrphans({ dryRun: false })
      yield* quayControl.clearFaults
      expect(report.failures).toHaveLength(1)
      expect(report.failures[0]?.orphan.type).toBe("robot")
      expect((yield* names).repositories).toEqual([])
      expect(reportLines("my-org", report).some((l) => l.startsWith("could not delete robot"))).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("an object provisioned and deleted by the operator leaves nothing for the sweep", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("sample")
      yield* converge("sample")
      expect((yield* mustGetImageRepository("sample")).status?.state).toBe("ready")
      yield* deleteImageRepository("sample")
      yield* converge("sample")
      expect((yield* sweepOrphans({ dryRun: true })).orphans).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("a legacy Component's leftovers go once it no longer exists; a live Component's stay", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const kube = yield* KubernetesInMemory.KubernetesControl
      const gone = { namespace, name: "gone-component", uid: "9d5ce2a4-0000-4000-8000-0000000000c1" }
      yield* quay.createRobot(robotShortName(gone, "push", "my-org"), robotDescription(gone, "Component"))
      yield* quay.createRepository({
        name: `${namespace}/app/gone-component`,
        visibility: "public",
        description: repositoryDescription(gone, "Component")
      })
      const alive = yield* kube.put(Kinds.Component, {
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "Component",
        metadata: { namespace, name: "alive" },
        spec: { application: "app", componentName: "alive" }
      })
      const aliveMeta = { namespace, name: "alive", uid: String((alive["metadata"] as { uid: string }).uid) }
      yield* quay.createRobot(robotShortName(aliveMeta, "push", "my-org"), robotDescription(aliveMeta, "Component"))
      const report = yield* sweepOrphans({ dryRun: false })
      expect(report.orphans.map((o) => `${o.type} ${o.owner.kind} ${o.owner.name}`).toSorted()).toEqual([
        "repository Component gone-component",
        "robot Component gone-component"
      ])
      expect((yield* names).robots).toEqual([robotShortName(aliveMeta, "push", "my-org")])
    }).pipe(Effect.provide(world())))
})
