/** Reads from the in-memory apiserver: list filters and watches (history, selectors, GC events, ending). */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import { ImageRepository, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { ns, imageRepository, secret, ownedBy, setup, withStore, settle, errorTag, summary } from "./inMemorySupport.ts"

describe("KubernetesInMemory", () => {
  describe("list", () => {
    it.effect("filters by namespace and label selector", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        yield* k8s.create(Secret, secret("a", { labels: { app: "x", tier: "web" } }))
        yield* k8s.create(Secret, secret("b", { labels: { app: "y" } }))
        yield* k8s.create(Secret, secret("c"))
        yield* k8s.create(Secret, { metadata: { name: "d", namespace: "other", labels: { app: "x" } } })
        const names = (selector?: string, namespace?: string) =>
          k8s.list(Secret, {
            ...(selector === undefined ? {} : { labelSelector: selector }),
            ...(namespace === undefined ? {} : { namespace })
          }).pipe(Effect.map((l) => l.items.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)))
        assert.deepStrictEqual(yield* names(), ["other/d", "team-a/a", "team-a/b", "team-a/c"])
        assert.deepStrictEqual(yield* names(undefined, ns), ["team-a/a", "team-a/b", "team-a/c"])
        assert.deepStrictEqual(yield* names("app=x"), ["other/d", "team-a/a"])
        assert.deepStrictEqual(yield* names("app==x,tier=web"), ["team-a/a"])
        assert.deepStrictEqual(yield* names("app!=x", ns), ["team-a/b", "team-a/c"])
        assert.deepStrictEqual(yield* names("app", ns), ["team-a/a", "team-a/b"])
        assert.deepStrictEqual(yield* names("!app", ns), ["team-a/c"])
        assert.deepStrictEqual(yield* names("app in (y, z)"), ["team-a/b"])
        assert.deepStrictEqual(yield* names("app notin (x),tier", ns), [])
        const bad = yield* Effect.exit(names("app=(x"))
        assert.strictEqual(errorTag(bad), "KubernetesInvalid")
      }).pipe(withStore))
  })

  describe("watch", () => {
    it.scoped("replays history after a resourceVersion, then follows live writes", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const start = (yield* k8s.list(Secret)).resourceVersion
        yield* k8s.create(Secret, secret("a"))
        const fiber = yield* k8s.watch(Secret, { resourceVersion: start }).pipe(
          Stream.take(3),
          Stream.runCollect,
          Effect.fork
        )
        yield* settle
        yield* k8s.patch(Secret, { namespace: ns, name: "a" }, { data: { more: "eA==" } })
        yield* k8s.delete(Secret, { namespace: ns, name: "a" })
        const events = yield* Fiber.join(fiber)
        assert.deepStrictEqual(summary(events), ["ADDED a", "MODIFIED a", "DELETED a"])
      }).pipe(withStore))

    it.scoped("without a resourceVersion starts from now", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        yield* k8s.create(Secret, secret("before"))
        const fiber = yield* k8s.watch(Secret).pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        yield* settle
        yield* k8s.create(Secret, secret("after"))
        assert.deepStrictEqual(summary(yield* Fiber.join(fiber)), ["ADDED after"])
      }).pipe(withStore))

    it.effect("a resourceVersion older than the history is Gone", () =>
      Effect.gen(function*() {
        const { kubernetes: k8s } = yield* KubernetesInMemory.make({ historyLimit: 3 })
        for (const name of ["a", "b", "c", "d", "e"]) yield* k8s.create(Secret, secret(name))
        const gone = yield* Effect.exit(Stream.runCollect(k8s.watch(Secret, { resourceVersion: "1" })))
        assert.strictEqual(errorTag(gone), "KubernetesGone")
        const recent = yield* k8s.watch(Secret, { resourceVersion: "2" }).pipe(Stream.take(3), Stream.runCollect)
        assert.deepStrictEqual(summary(recent), ["ADDED c", "ADDED d", "ADDED e"])
      }))

    it.effect("filters by kind, namespace and labels; leaving a selector reads as DELETED, entering as ADDED", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        yield* k8s.create(ServiceAccount, { metadata: { name: "sa", namespace: ns, labels: { app: "x" } } })
        yield* k8s.create(Secret, { metadata: { name: "elsewhere", namespace: "other", labels: { app: "x" } } })
        yield* k8s.create(Secret, secret("a", { labels: { app: "x" } }))
        yield* k8s.create(Secret, secret("b"))
        yield* k8s.patch(Secret, { namespace: ns, name: "a" }, { metadata: { labels: { app: null } } })
        yield* k8s.patch(Secret, { namespace: ns, name: "b" }, { metadata: { labels: { app: "x" } } })
        yield* k8s.patch(Secret, { namespace: ns, name: "b" }, { metadata: { labels: { other: "y" } } })
        const events = yield* k8s.watch(Secret, { resourceVersion: "0", namespace: ns, labelSelector: "app=x" }).pipe(
          Stream.take(4),
          Stream.runCollect
        )
        assert.deepStrictEqual(summary(events), ["ADDED a", "DELETED a", "ADDED b", "MODIFIED b"])
        const left = Chunk.unsafeGet(events, 1)
        assert.deepStrictEqual(left.type === "DELETED" ? left.object.metadata.labels : {}, { app: "x" }, "the last visible state")
        assert.strictEqual(left.type === "DELETED" ? left.object.metadata.resourceVersion : "", "5")
      }).pipe(withStore))

    it.effect("sees garbage collection and finalization as events", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const owner = yield* k8s.create(
          ImageRepository,
          imageRepository("owner", { metadata: { name: "owner", namespace: ns, finalizers: ["x/y"] } })
        )
        yield* k8s.create(Secret, secret("child", { ownerReferences: [ownedBy(owner)] }))
        yield* k8s.delete(ImageRepository, { namespace: ns, name: "owner" })
        yield* k8s.patch(ImageRepository, { namespace: ns, name: "owner" }, { metadata: { finalizers: [] } })
        const owners = yield* k8s.watch(ImageRepository, { resourceVersion: "0" }).pipe(Stream.take(3), Stream.runCollect)
        assert.deepStrictEqual(summary(owners), ["ADDED owner", "MODIFIED owner", "DELETED owner"])
        const [added, deleting] = Chunk.toReadonlyArray(owners)
        assert.strictEqual(added?.type === "ADDED" ? added.object.metadata.deletionTimestamp : "", undefined)
        assert.isDefined(deleting?.type === "MODIFIED" ? deleting.object.metadata.deletionTimestamp : undefined)
        const secrets = yield* k8s.watch(Secret, { resourceVersion: "0" }).pipe(Stream.take(2), Stream.runCollect)
        assert.deepStrictEqual(summary(secrets), ["ADDED child", "DELETED child"])
      }).pipe(withStore))

    it.scoped("endWatches ends open watches, normally or with an error", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const ended = yield* k8s.watch(Secret).pipe(Stream.runCollect, Effect.fork)
        yield* settle
        yield* control.endWatches()
        assert.strictEqual(Chunk.size(yield* Fiber.join(ended)), 0)
        const failed = yield* k8s.watch(Secret).pipe(Stream.runCollect, Effect.fork)
        yield* settle
        yield* control.endWatches(new KubernetesUnavailable({ status: 504, detail: "watch timed out" }))
        assert.strictEqual(errorTag(yield* Fiber.await(failed)), "KubernetesUnavailable")
      }).pipe(withStore))
  })
})
