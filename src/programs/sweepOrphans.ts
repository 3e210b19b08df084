import { Effect, Either } from "effect"
import * as ComponentDomain from "../domain/Component.ts"
import * as ImageRepositoryDomain from "../domain/ImageRepository.ts"
import { type MarkedOwner, markedOwner } from "../domain/Ownership.ts"
import { usedRepositories } from "../domain/RepositoryUsers.ts"
import { derivesFrom } from "../domain/RobotName.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { Quay } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { Component as ComponentKind } from "../services/ResourceKind.ts"
import { imageRepositoriesIn } from "./imageRepositoriesIn.ts"

/** A robot or repository in Quay that carries the mark of an object that no longer exists. */
export interface Orphan {
  readonly type: "robot" | "repository"
  /** The robot's short name, or the repository's name inside the organization. */
  readonly name: string
  readonly owner: MarkedOwner
}

export interface SweepOptions {
  /** Report what would be deleted; delete nothing. */
  readonly dryRun: boolean
  /** Only what is marked for objects of this namespace (an operator that watches one namespace). */
  readonly namespace?: string | undefined
}

export interface SweepReport {
  readonly dryRun: boolean
  /** Deleted, or in a dry run what would have been. */
  readonly orphans: ReadonlyArray<Orphan>
  /** Orphans Quay did not delete: the next sweep tries again. */
  readonly failures: ReadonlyArray<{ readonly orphan: Orphan; readonly message: string }>
  /** Namespaces whose objects could not be listed: nothing marked for them was touched. */
  readonly unchecked: ReadonlyArray<{ readonly namespace: string; readonly message: string }>
}

/** What the sweep reads and deletes, by the name the report and the logs give it. */
export const describeOrphan = (organization: string, orphan: Orphan): string =>
  `${orphan.type} ${organization}${orphan.type === "robot" ? "+" : "/"}${orphan.name} (${orphan.owner.kind} ` +
  `${orphan.owner.namespace}/${orphan.owner.name}, uid ${orphan.owner.uid})`

/**
 * Marked robots and repositories, each only when its mark is consistent with where it is: a robot whose name
 * derives from the uid its mark names, a repository under the namespace its mark names. Anything else (no mark,
 * a mark in someone's own words, a mark that does not fit) is never touched.
 */
const markedCandidates = (options: SweepOptions) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const [robots, repositories] = yield* Effect.all([quay.listRobots(), quay.listRepositories()], { concurrency: 2 })
    const candidates: Array<Orphan> = []
    for (const robot of robots) {
      const owner = markedOwner(robot.description)
      if (owner !== undefined && derivesFrom(robot.shortName, owner.uid)) {
        candidates.push({ type: "robot", name: robot.shortName, owner })
      }
    }
    for (const repository of repositories) {
      const owner = markedOwner(repository.description)
      if (owner !== undefined && repository.name.startsWith(`${owner.namespace}/`)) {
        candidates.push({ type: "repository", name: repository.name, owner })
      }
    }
    // Owners are looked up as ImageRepositories and legacy Components: a mark naming another kind is never acted on.
    return candidates.filter((c) =>
      (c.owner.kind === ImageRepositoryDomain.kind || c.owner.kind === ComponentDomain.kind) &&
      (options.namespace === undefined || c.owner.namespace === options.namespace)
    )
  })

/**
 * What is alive in one namespace: the uids of its objects, ImageRepositories and legacy Components (those being
 * deleted too: their own cleanup is still running), and the repositories its live ImageRepositories use. One list
 * of each kind per namespace, however many Quay objects name it; a cluster that does not serve Components has none.
 */
const namespaceOwners = (namespace: string) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const kube = yield* Kubernetes
    const [repositories, components] = yield* Effect.all([
      imageRepositoriesIn(namespace),
      kube.list(ComponentKind, { namespace }).pipe(
        Effect.map((listed) => listed.items),
        Effect.catchTag("KubernetesNotFound", () => Effect.succeed([]))
      )
    ])
    return {
      uids: new Set([...repositories, ...components].flatMap((o) => o.metadata.uid ?? [])),
      used: usedRepositories(repositories, quay)
    }
  })

/**
 * The orphan sweep: the organization's robots and repositories that carry this operator's mark for an object
 * that no longer exists, deleted (robots first), or only reported in a dry run. Never anything without the mark,
 * never what an existing object owns or a live object uses, nothing of a namespace whose objects could not be
 * listed. Quay is listed before the apiserver: an object created after Quay's lists cannot own what they hold, so
 * every owner of a listed object is in the lists that follow. The apiserver is read directly, never from a cache.
 */
export const sweepOrphans = (options: SweepOptions): Effect.Effect<SweepReport, QuayError, Quay | Kubernetes> =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const candidates = yield* markedCandidates(options)
    const namespaces = [...new Set(candidates.map((c) => c.owner.namespace))]
    const owners = new Map(
      yield* Effect.forEach(
        namespaces,
        (namespace) => Effect.map(Effect.either(namespaceOwners(namespace)), (found) => [namespace, found] as const),
        { concurrency: 4 }
      )
    )
    const unchecked: Array<SweepReport["unchecked"][number]> = []
    for (const [namespace, found] of owners) {
      if (Either.isLeft(found)) unchecked.push({ namespace, message: found.left.message })
    }
    const orphans = candidates.filter((c) => {
      const found = owners.get(c.owner.namespace)
      if (found === undefined || Either.isLeft(found)) return false
      return !found.right.uids.has(c.owner.uid) && !(c.type === "repository" && found.right.used.has(c.name))
    })
    if (options.dryRun) return { dryRun: true, orphans, failures: [], unchecked }

    const remove = (orphan: Orphan) =>
      (orphan.type === "robot" ? quay.deleteRobot(orphan.name) : quay.deleteRepository(orphan.name)).pipe(
        Effect.tap(() => Effect.logInfo(`orphan sweep: deleted ${describeOrphan(quay.organization, orphan)}`)),
        Effect.either,
        Effect.map(Either.match({ onLeft: (e) => [{ orphan, message: e.message }], onRight: () => [] }))
      )
    const byType = (type: Orphan["type"]) => orphans.filter((o) => o.type === type)
    const failures = [
      ...(yield* Effect.forEach(byType("robot"), remove, { concurrency: 4 })).flat(),
      ...(yield* Effect.forEach(byType("repository"), remove, { concurrency: 4 })).flat()
    ]
    return { dryRun: false, orphans, failures, unchecked }
  }).pipe(Effect.withSpan("sweepOrphans", { captureStackTrace: false, attributes: { dryRun: options.dryRun, namespace: options.namespace ?? "*" } }))

/** The report as lines for a person: each orphan, each failure, each unchecked namespace, then a summary. */
export const reportLines = (organization: string, report: SweepReport): ReadonlyArray<string> => {
  const failed = new Set(report.failures.map((f) => f.orphan))
  return [
    ...report.orphans.filter((o) => !failed.has(o)).map((o) =>
      `${report.dryRun ? "would delete" : "deleted"} ${describeOrphan(organization, o)}`
    ),
    ...report.failures.map((f) => `could not delete ${describeOrphan(organization, f.orphan)}: ${f.message}`),
    ...report.unchecked.map((u) => `skipped namespace ${u.namespace}: its objects could not be listed: ${u.message}`),
    `orphan sweep${report.dryRun ? " (dry run)" : ""}: ${report.orphans.length - report.failures.length} ` +
    `${report.dryRun ? "to delete" : "deleted"}, ${report.failures.length} failed, ${report.unchecked.length} namespaces unchecked`
  ]
}
