import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, pipe, Ref, Schedule, TestClock } from "effect"
import { type ObjectRef, refKey, refOf } from "../../src/domain/ObjectMeta.ts"
import { managedSecretSelector } from "../../src/domain/Secret.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import * as Controller from "../../src/runtime/Controller.ts"
import type { LeaderElectionConfig } from "../../src/runtime/LeaderElection.ts"
import { microTime } from "../../src/domain/Timestamp.ts"
import { LeaseKind } from "../../src/runtime/Lease.ts"
import * as Manager from "../../src/runtime/Manager.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { done } from "../../src/services/ReconcileResult.ts"
import { KubernetesNotFound } from "../../src/services/KubernetesError.ts"
import { Component, ImageRepository, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { advanceUntil, eventually, imageRepository, managedSecret, settle } from "./support.ts"

/** Records the keys each controller reconciles. */
const makeLog = Effect.map(Ref.make<ReadonlyArray<string>>([]), (log) => ({
  reconcile: (controller: string) => (ref: ObjectRef) =>
    Effect.as(Ref.update(log, (l) => [...l, `${controller} ${refKey(ref)}`]), done),
  has: (entry: string) => Effect.map(Ref.get(log), (l) => l.includes(entry)),
  occurrences: (entry: string) => Effect.map(Ref.get(log), (l) => l.filter((e) => e === entry).length),
  count: Effect.map(Ref.get(log), (l) => l.length)
}))

/** Label on a Secret naming the ServiceAccount it is for: the second controller's mapping. */
const forAccount = "example.com/service-account"

const lists = (kind: string) =>
  Effect.flatMap(InMemory.KubernetesControl, (control) =>
    Effect.map(control.calls, (calls) => calls.byKind[kind]?.list ?? 0))

const election: LeaderElectionConfig = {
  lease: { namespace: "operators", name: "image-repository-operator" },
  identity: "standby",
  leaseDuration: "15 seconds",
  renewDeadline: "10 seconds",
  retryPeriod: "2 seconds"
}

describe("Manager", () => {
  it.scoped("runs two controllers for two kinds on one shared informer per kind and selector", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const log = yield* makeLog
      const repositories = pipe(
        Controller.make(ImageRepository, { name: "imagerepository", reconcile: log.reconcile("repos") }),
        Controller.owns(Secret, { labelSelector: managedSecretSelector })
      )
      // A second controller, declared in a few lines: ServiceAccounts, woken by the same Secrets through a label.
      const accounts = pipe(
        Controller.make(ServiceAccount, { name: "serviceaccount", reconcile: log.reconcile("accounts") }),
        Controller.watches(Secret, (secret) => {
          const account = secret.metadata.labels?.[forAccount]
          return account === undefined ? [] : [{ namespace: secret.metadata.namespace ?? "", name: account }]
        }, { labelSelector: managedSecretSelector })
      )
      yield* control.put(ImageRepository, imageRepository("ns", "repo"))
      yield* control.put(ServiceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { namespace: "ns", name: "builder" } })
      const manager = yield* Manager.run({ controllers: [repositories, accounts] })
      yield* eventually(Effect.zipWith(log.has("repos ns/repo"), log.has("accounts ns/builder"), (a, b) => a && b))

      // One Secret change wakes both controllers, each through its own mapping, from one informer.
      const secret = managedSecret("ns", "repo-image-push", "repo")
      const labels = { ...(secret["metadata"] as { labels: Record<string, string> }).labels, [forAccount]: "builder" }
      yield* control.put(Secret, { ...secret, metadata: { ...(secret["metadata"] as object), labels } })
      yield* eventually(Effect.map(log.count, (n) => n === 4))
      assert.isTrue(yield* manager.active)
      assert.strictEqual(yield* lists("Secret"), 1, "the Secrets are listed once for both controllers")
      assert.strictEqual(yield* lists("ImageRepository"), 1)
      assert.strictEqual(yield* lists("ServiceAccount"), 1)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("a controller whose kind the cluster does not serve holds up no other controller", () =>
    Effect.gen(function*() {
      const real = yield* Kubernetes
      const control = yield* InMemory.KubernetesControl
      const log = yield* makeLog
      // A cluster without Konflux: no Component CRD, so its list is answered 404.
      const withoutComponents: Kubernetes = {
        ...real,
        list: (kind, options) =>
          kind.kind === "Component" ? Effect.fail(new KubernetesNotFound({ kind: kind.kind, name: "" })) : real.list(kind, options)
      }
      yield* control.put(ImageRepository, imageRepository("ns", "repo"))
      const manager = yield* Manager.run({
        controllers: [
          Controller.make(ImageRepository, { name: "imagerepository", reconcile: log.reconcile("repos") }),
          Controller.make(Component, { name: "component", reconcile: log.reconcile("components") })
        ]
      }).pipe(Effect.provideService(Kubernetes, withoutComponents))
      yield* eventually(log.has("repos ns/repo"))
      assert.isTrue(yield* manager.synced)
      assert.deepStrictEqual(yield* manager.failures, [])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("a watch's mapping reads the controller's own objects from its cache, in the watched object's namespace", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const log = yield* makeLog
      // An account wakes the ImageRepositories of its namespace that name it in a label.
      const repositories = pipe(
        Controller.make(ImageRepository, { name: "imagerepository", reconcile: log.reconcile("repos") }),
        Controller.watches(ServiceAccount, (account, reconciled) =>
          reconciled
            .inNamespace(account.metadata.namespace ?? "")
            .filter((ir) => ir.metadata.labels?.[forAccount] === account.metadata.name)
            .map((ir) => refOf(ir.metadata)))
      )
      const labelled = (namespace: string, name: string, account: string) => ({
        ...imageRepository(namespace, name),
        metadata: { namespace, name, labels: { [forAccount]: account } }
      })
      yield* control.put(ImageRepository, labelled("ns", "wants", "builder"))
      yield* control.put(ImageRepository, labelled("ns", "other", "deployer"))
      yield* control.put(ImageRepository, labelled("elsewhere", "wants", "builder"))
      yield* Manager.run({ controllers: [repositories] })
      yield* eventually(Effect.map(log.count, (n) => n === 3))

      yield* control.put(ServiceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { namespace: "ns", name: "builder" } })
      yield* eventually(Effect.map(log.count, (n) => n === 4))
      yield* settle
      assert.strictEqual(yield* log.count, 4, "only the object that wants the account, in its namespace")
      assert.strictEqual(yield* log.occurrences("repos ns/wants"), 2)
      assert.strictEqual(yield* lists("ImageRepository"), 1, "the mapping read the cache, not the apiserver")
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("a standby's caches are filled before it leads: taking over costs no list", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const now = yield* TestClock.currentTimeMillis
      // Another replica holds the Lease.
      yield* control.put(LeaseKind, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { namespace: "operators", name: "image-repository-operator" },
        spec: { holderIdentity: "leader", leaseDurationSeconds: 15, renewTime: microTime(now), acquireTime: microTime(now) }
      })
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const log = yield* makeLog
      const manager = yield* Manager.run({
        controllers: [Controller.make(ImageRepository, { name: "imagerepository", reconcile: log.reconcile("repos") })],
        leaderElection: election
      })
      yield* eventually(manager.synced)
      assert.isFalse(yield* manager.active, "the Lease is someone else's")
      assert.strictEqual(yield* log.count, 0, "a standby reconciles nothing")
      // The standby's cache follows changes while it waits.
      yield* control.put(ImageRepository, imageRepository("ns", "b"))
      yield* settle
      const listed = yield* lists("ImageRepository")
      assert.strictEqual(listed, 1)

      // The leader is gone (its Lease is never renewed again): the standby takes over and works from its cache.
      yield* advanceUntil(manager.active, "2 seconds", 30)
      assert.isTrue(yield* manager.active)
      yield* eventually(Effect.zipWith(log.has("repos ns/a"), log.has("repos ns/b"), (a, b) => a && b))
      assert.strictEqual(yield* lists("ImageRepository"), listed, "no relist when leadership is won")
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("runs leader tasks only while leading: not on a standby, from the takeover, stopped when the Lease is lost", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const now = yield* TestClock.currentTimeMillis
      const lease = { namespace: "operators", name: "image-repository-operator" }
      yield* control.put(LeaseKind, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: lease,
        spec: { holderIdentity: "leader", leaseDurationSeconds: 15, renewTime: microTime(now), acquireTime: microTime(now) }
      })
      const ticks = yield* Ref.make(0)
      // A periodic task, as the orphan sweep is: a tick every second while it runs.
      const task = { name: "ticker", run: Effect.forever(Ref.update(ticks, (n) => n + 1).pipe(Effect.andThen(Effect.sleep("1 second")))) }
      const manager = yield* Manager.run({
        controllers: [Controller.make(ImageRepository, { name: "imagerepository", reconcile: () => Effect.succeed(done) })],
        tasks: [task],
        leaderElection: election
      })
      yield* eventually(manager.synced)
      yield* TestClock.adjust("5 seconds")
      yield* settle
      assert.strictEqual(yield* Ref.get(ticks), 0, "a standby runs no task")

      yield* advanceUntil(manager.active, "2 seconds", 30)
      yield* eventually(Effect.map(Ref.get(ticks), (n) => n > 0))
      yield* TestClock.adjust("3 seconds")
      yield* settle
      assert.isAtLeast(yield* Ref.get(ticks), 3)

      // Another replica takes the Lease: the term ends and the task with it.
      const kubernetes = yield* Kubernetes
      const current = Option.getOrThrow(yield* kubernetes.get(LeaseKind, lease))
      yield* kubernetes.replace(LeaseKind, { ...current, spec: { ...current.spec, holderIdentity: "other" } })
      yield* TestClock.adjust("2 seconds")
      yield* eventually(Effect.map(manager.active, (active) => !active))
      const stopped = yield* Ref.get(ticks)
      yield* TestClock.adjust("5 seconds")
      yield* settle
      assert.strictEqual(yield* Ref.get(ticks), stopped, "no tick after the term")
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("an informer loop that dies is restarted; one that keeps dying makes the manager unhealthy", () =>
    Effect.gen(function*() {
      const real = yield* Kubernetes
      const secretLists = yield* Ref.make(0)
      const dieFor = yield* Ref.make(2)
      // Listing Secrets dies (a defect, not an API error) while `dieFor` lasts.
      const dying: Kubernetes = {
        ...real,
        list: (kind, options) =>
          kind.kind !== "Secret" ? real.list(kind, options) : Effect.gen(function*() {
            yield* Ref.update(secretLists, (n) => n + 1)
            const left = yield* Ref.getAndUpdate(dieFor, (n) => Math.max(0, n - 1))
            return left > 0 ? yield* Effect.die(new Error("decoder exploded")) : yield* real.list(kind, options)
          })
      }
      const controller = pipe(
        Controller.make(ImageRepository, { name: "imagerepository", reconcile: () => Effect.succeed(done) }),
        Controller.owns(Secret, { labelSelector: managedSecretSelector })
      )
      const supervision = { maxRestarts: 3, window: "1 minute", backoff: Schedule.spaced("1 second") } as const
      const recovering = yield* Manager.run({ controllers: [controller], supervision }).pipe(
        Effect.provideService(Kubernetes, dying)
      )
      // Two deaths, two restarts, then the list goes through: synced, active and healthy.
      yield* advanceUntil(recovering.active, "1 second", 10)
      assert.isTrue(yield* recovering.synced)
      assert.deepStrictEqual(yield* recovering.failures, [])
      assert.strictEqual(yield* Ref.get(secretLists), 3)

      // A loop that dies every time is given up on after `maxRestarts`, and the manager says why.
      yield* Ref.set(dieFor, Number.MAX_SAFE_INTEGER)
      const doomed = yield* Manager.run({ controllers: [controller], supervision }).pipe(
        Effect.provideService(Kubernetes, dying)
      )
      yield* advanceUntil(Effect.map(doomed.failures, (f) => f.length > 0), "1 second", 20)
      const failures = yield* doomed.failures
      assert.strictEqual(failures.length, 1)
      assert.include(failures[0] ?? "", "informer Secret")
      assert.include(failures[0] ?? "", "decoder exploded")
      assert.isFalse(yield* doomed.active, "no worker starts on a cache that never synced")
    }).pipe(Effect.provide(InMemory.layer())))
})
