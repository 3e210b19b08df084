import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Ref, Stream, TestClock } from "effect"
import { managedByLabel, managedByValue } from "../../src/domain/Secret.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import * as Informer from "../../src/runtime/Informer.ts"
import { Kubernetes, type WatchOptions } from "../../src/services/Kubernetes.ts"
import { KubernetesNotFound, KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import { Component, ImageRepository, Secret } from "../../src/services/ResourceKind.ts"
import { eventually, imageRepository, makeKeyLog, managedSecret, settle } from "./support.ts"

const ref = (namespace: string, name: string) => ({ namespace, name })

describe("Informer", () => {
  it.scoped("enqueues every listed object and serves reads from its store", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns1", "a"))
      yield* control.put(ImageRepository, imageRepository("ns2", "b"))
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey) })
      yield* informer.awaitSynced
      assert.deepStrictEqual([...yield* log.keys].sort(), ["ns1/a", "ns2/b"])
      const a = yield* informer.get(ref("ns1", "a"))
      assert.strictEqual(Option.getOrThrow(a).metadata.name, "a")
      assert.isTrue(Option.isNone(yield* informer.get(ref("ns1", "b"))))
      assert.strictEqual((yield* informer.list).length, 2)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("watches only its namespace when told", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns1", "a"))
      yield* control.put(ImageRepository, imageRepository("ns2", "b"))
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, namespace: "ns1", onChange: Informer.keysTo(log.onKey) })
      yield* informer.awaitSynced
      yield* control.put(ImageRepository, imageRepository("ns2", "c"))
      yield* control.put(ImageRepository, imageRepository("ns1", "d"))
      yield* eventually(log.has("ns1/d"))
      assert.deepStrictEqual(yield* log.keys, ["ns1/a", "ns1/d"])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("enqueues creations, updates and deletions as they are watched", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey) })
      yield* informer.awaitSynced
      assert.deepStrictEqual(yield* log.keys, [])

      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(log.has("ns/a"))
      assert.isTrue(Option.isSome(yield* informer.get(ref("ns", "a"))))

      yield* log.clear
      yield* control.patch(ImageRepository, ref("ns", "a"), { spec: { image: { visibility: "private" } } })
      yield* eventually(log.has("ns/a"))
      yield* eventually(
        Effect.map(informer.get(ref("ns", "a")), (o) => Option.getOrThrow(o).spec?.image?.visibility === "private")
      )

      yield* log.clear
      yield* control.remove(ImageRepository, ref("ns", "a"))
      yield* eventually(log.has("ns/a"))
      assert.isTrue(Option.isNone(yield* informer.get(ref("ns", "a"))))
      // The store tracks the watch's position.
      assert.deepStrictEqual(yield* informer.resourceVersion, Option.some(yield* control.resourceVersion))
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("relists when its resourceVersion is Gone, and delivers objects that vanished meanwhile", () =>
    Effect.gen(function*() {
      const { control, kubernetes } = yield* InMemory.make({ historyLimit: 1 })
      yield* control.put(ImageRepository, imageRepository("ns", "stays"))
      yield* control.put(ImageRepository, imageRepository("ns", "goes"))
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey) }).pipe(
        Effect.provideService(Kubernetes, kubernetes)
      )
      yield* informer.awaitSynced
      yield* settle
      // The watch drops; while it is away, more happens than the apiserver's history keeps.
      yield* control.endWatches(new KubernetesUnavailable({ detail: "connection reset" }))
      yield* settle
      yield* control.remove(ImageRepository, ref("ns", "goes"))
      yield* control.put(ImageRepository, imageRepository("ns", "new"))
      yield* control.patch(ImageRepository, ref("ns", "stays"), { spec: { image: { name: "x" } } })
      yield* log.clear
      // Reconnecting from the old version is Gone; the informer relists at once.
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.map(informer.list, (items) => items.length === 2))
      yield* eventually(log.has("ns/goes"))
      assert.deepStrictEqual([...yield* log.keys].sort(), ["ns/goes", "ns/new", "ns/stays"])
      assert.isTrue(Option.isNone(yield* informer.get(ref("ns", "goes"))))
      assert.strictEqual((yield* control.calls).byVerb.list, 2)
      // And it watches again from the new list.
      yield* control.put(ImageRepository, imageRepository("ns", "later"))
      yield* eventually(log.has("ns/later"))
    }))

  it.scoped("reconnects from the last resourceVersion when the apiserver closes the watch", () =>
    Effect.gen(function*() {
      const real = yield* Kubernetes
      const watchedFrom = yield* Ref.make<ReadonlyArray<string | undefined>>([])
      // Each watch ends after one event, as apiservers end watches after a timeout.
      const closing: Kubernetes = {
        ...real,
        watch: (kind, options?: WatchOptions) =>
          Stream.unwrap(
            Ref.update(watchedFrom, (v) => [...v, options?.resourceVersion]).pipe(
              Effect.as(Stream.take(real.watch(kind, options), 1))
            )
          )
      }
      const control = yield* InMemory.KubernetesControl
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey) }).pipe(
        Effect.provideService(Kubernetes, closing)
      )
      yield* informer.awaitSynced
      const listedAt = yield* control.resourceVersion
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(log.has("ns/a"))
      const afterA = yield* control.resourceVersion
      // Made while no watch is open: the reconnected watch replays it.
      yield* control.put(ImageRepository, imageRepository("ns", "b"))
      yield* TestClock.adjust("1 minute")
      yield* eventually(log.has("ns/b"))
      const from = yield* Ref.get(watchedFrom)
      assert.deepStrictEqual(from.slice(0, 2), [listedAt, afterA])
      assert.strictEqual((yield* control.calls).byVerb.list, 1)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("a watch the apiserver ends normally resumes where it left off, without relisting", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey) })
      yield* informer.awaitSynced
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(log.has("ns/a"))
      yield* control.endWatches()
      yield* settle
      yield* control.put(ImageRepository, imageRepository("ns", "b"))
      // A routine close of a healthy watch is followed at once by the next: no clock needed.
      yield* eventually(log.has("ns/b"))
      const calls = yield* control.calls
      assert.strictEqual(calls.byVerb.list, 1)
      assert.strictEqual(calls.byVerb.watch, 2)
      // Not re-delivered: the second watch started after ns/a.
      assert.deepStrictEqual(yield* log.keys, ["ns/a", "ns/b"])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("reopens a watch that stays silent past the idle timeout", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey), idleTimeout: "1 minute" })
      yield* informer.awaitSynced
      yield* settle
      yield* TestClock.adjust("59 seconds")
      yield* settle
      assert.strictEqual((yield* control.calls).byVerb.watch, 1)
      // Silent for a minute: presumed dead, reopened after the reconnect backoff.
      yield* TestClock.adjust("1 second")
      yield* settle
      yield* TestClock.adjust("2 seconds")
      yield* eventually(Effect.map(control.calls, (c) => c.byVerb.watch === 2))
      assert.strictEqual((yield* control.calls).byVerb.list, 1)
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(log.has("ns/a"))
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("resumes from a BOOKMARK's resourceVersion", () =>
    Effect.gen(function*() {
      const real = yield* Kubernetes
      const control = yield* InMemory.KubernetesControl
      const watchedFrom = yield* Ref.make<ReadonlyArray<string | undefined>>([])
      const bookmarks = yield* Ref.make<ReadonlyArray<string>>([])
      const bookmarking: Kubernetes = {
        ...real,
        watch: (kind, options?: WatchOptions) =>
          Stream.unwrap(
            Effect.gen(function*() {
              const count = (yield* Ref.updateAndGet(watchedFrom, (v) => [...v, options?.resourceVersion])).length
              if (count > 1) return real.watch(kind, options)
              // The first watch sees the apiserver move on (an unrelated Secret), bookmarks it, and ends.
              yield* control.put(Secret, managedSecret("ns", "unrelated", undefined))
              const now = yield* control.resourceVersion
              yield* Ref.set(bookmarks, [now])
              return Stream.make({ type: "BOOKMARK" as const, resourceVersion: now })
            })
          )
      }
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey) }).pipe(
        Effect.provideService(Kubernetes, bookmarking)
      )
      yield* informer.awaitSynced
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.map(Ref.get(watchedFrom), (v) => v.length === 2))
      const [listed, resumed] = yield* Ref.get(watchedFrom)
      assert.deepStrictEqual<ReadonlyArray<string | undefined>>(yield* Ref.get(bookmarks), [resumed])
      assert.notStrictEqual(listed, resumed)
      assert.strictEqual((yield* control.calls).byVerb.list, 1)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("maps label-selected Secrets to their owner's key", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(Secret, managedSecret("ns", "repo1-pull", "repo1"))
      yield* control.put(Secret, managedSecret("ns", "foreign", "repo2", false))
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({
        kind: Secret,
        labelSelector: `${managedByLabel}=${managedByValue}`,
        onChange: Informer.keysTo(log.onKey, Informer.ownerKeys(ImageRepository))
      })
      yield* informer.awaitSynced
      assert.deepStrictEqual(yield* log.keys, ["ns/repo1"])
      assert.strictEqual((yield* informer.list).length, 1)

      yield* log.clear
      yield* control.put(Secret, managedSecret("ns", "repo3-push", "repo3"))
      yield* control.put(Secret, managedSecret("ns", "other-foreign", "repo4", false))
      yield* control.put(Secret, managedSecret("ns", "orphan", undefined))
      yield* control.delete(Secret, ref("ns", "repo1-pull"))
      yield* eventually(log.has("ns/repo1"))
      assert.deepStrictEqual(yield* log.keys, ["ns/repo3", "ns/repo1"])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("re-enqueues every stored key each resync period", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* control.put(ImageRepository, imageRepository("ns", "b"))
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey), resyncPeriod: "10 minutes" })
      yield* informer.awaitSynced
      yield* settle
      yield* log.clear
      yield* TestClock.adjust("9 minutes")
      assert.deepStrictEqual(yield* log.keys, [])
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.map(log.keys, (k) => k.length === 2))
      assert.deepStrictEqual([...yield* log.keys].sort(), ["ns/a", "ns/b"])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("retries a failing list with backoff until it succeeds", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* control.failNext(3, { verbs: ["list"] })
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: Informer.keysTo(log.onKey) })
      yield* settle
      assert.isFalse(yield* informer.synced)
      // The first retry waits at least 800 ms.
      yield* TestClock.adjust("700 millis")
      yield* settle
      assert.strictEqual((yield* control.calls).byVerb.list, 1)
      assert.isFalse(yield* informer.synced)
      yield* TestClock.adjust("1 minute")
      yield* informer.awaitSynced
      assert.deepStrictEqual(yield* log.keys, ["ns/a"])
      assert.strictEqual((yield* control.calls).byVerb.list, 4)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("a kind the apiserver does not serve (no CRD) is synced and empty, and watched once it is served", () =>
    Effect.gen(function*() {
      const real = yield* Kubernetes
      const control = yield* InMemory.KubernetesControl
      const served = yield* Ref.make(false)
      // A list of a kind without its CRD is answered 404, as kube-apiserver answers it.
      const noCrdYet: Kubernetes = {
        ...real,
        list: (kind, options) =>
          Effect.flatMap(Ref.get(served), (yes) =>
            yes || kind.kind !== "Component"
              ? real.list(kind, options)
              : Effect.fail(new KubernetesNotFound({ kind: kind.kind, name: "" })))
      }
      const log = yield* makeKeyLog
      const informer = yield* Informer.make({ kind: Component, onChange: Informer.keysTo(log.onKey) }).pipe(
        Effect.provideService(Kubernetes, noCrdYet)
      )
      yield* informer.awaitSynced
      assert.deepStrictEqual(yield* informer.list, [])
      // The CRD is installed and a Component made: the next list (after the backoff) finds it, and watches go on.
      yield* Ref.set(served, true)
      yield* control.put(Component, {
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "Component",
        metadata: { namespace: "ns", name: "billing" },
        spec: { application: "app", componentName: "billing" }
      })
      yield* TestClock.adjust("2 seconds")
      yield* eventually(log.has("ns/billing"))
      yield* control.put(Component, { metadata: { namespace: "ns", name: "later" } })
      yield* eventually(log.has("ns/later"))
      assert.strictEqual((yield* informer.list).length, 2)
    }).pipe(Effect.provide(InMemory.layer())))
})
