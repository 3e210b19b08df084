/** Deletion in the in-memory apiserver: finalizers, preconditions, and garbage collection of dependents. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ImageRepository, Secret } from "../../src/services/ResourceKind.ts"
import { ns, imageRepository, secret, ownedBy, setup, withStore, errorTag } from "./inMemorySupport.ts"

describe("KubernetesInMemory", () => {
  describe("deletion", () => {
    it.effect("deletion with finalizers sets deletionTimestamp once, forbids new finalizers, ends with the last one", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const ref = { namespace: ns, name: "a" }
        yield* k8s.create(ImageRepository, imageRepository("a", { metadata: { ...ref, finalizers: ["x/one", "x/two"] } }))
        yield* k8s.delete(ImageRepository, ref)
        const deleting = Option.getOrThrow(yield* k8s.get(ImageRepository, ref))
        assert.isDefined(deleting.metadata.deletionTimestamp)
        yield* k8s.delete(ImageRepository, ref)
        const again = Option.getOrThrow(yield* k8s.get(ImageRepository, ref))
        assert.strictEqual(again.metadata.resourceVersion, deleting.metadata.resourceVersion)

        const added = yield* Effect.exit(
          k8s.patch(ImageRepository, ref, { metadata: { finalizers: ["x/one", "x/two", "x/three"] } })
        )
        assert.strictEqual(errorTag(added), "KubernetesInvalid")
        const held = yield* k8s.patch(ImageRepository, ref, { metadata: { finalizers: ["x/two"] } })
        assert.isTrue(Option.isSome(yield* k8s.get(ImageRepository, ref)))
        const last = yield* k8s.patch(ImageRepository, ref, { metadata: { finalizers: null } })
        assert.isTrue(Option.isNone(yield* k8s.get(ImageRepository, ref)))
        assert.strictEqual(last.metadata.finalizers, undefined, "the writer gets its update back")
        assert.strictEqual(last.metadata.resourceVersion, held.metadata.resourceVersion, "at the last stored version")
      }).pipe(withStore))

    it.effect("delete preconditions: uid and resourceVersion", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const ref = { namespace: ns, name: "a" }
        const created = yield* k8s.create(Secret, secret("a"))
        const wrongUid = yield* Effect.exit(k8s.delete(Secret, ref, { preconditions: { uid: "nope" } }))
        assert.strictEqual(errorTag(wrongUid), "KubernetesConflict")
        const wrongRv = yield* Effect.exit(k8s.delete(Secret, ref, { preconditions: { resourceVersion: "999" } }))
        assert.strictEqual(errorTag(wrongRv), "KubernetesConflict")
        yield* k8s.delete(Secret, ref, {
          preconditions: { uid: created.metadata.uid ?? "", resourceVersion: created.metadata.resourceVersion ?? "" }
        })
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, ref)))
        const missing = yield* Effect.exit(k8s.delete(Secret, ref))
        assert.strictEqual(errorTag(missing), "KubernetesNotFound")
      }).pipe(withStore))

    it.effect("control.remove ignores finalizers", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const ref = { namespace: ns, name: "a" }
        yield* k8s.create(Secret, secret("a", { finalizers: ["x/y"] }))
        yield* control.remove(Secret, ref)
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, ref)))
      }).pipe(withStore))
  })

  describe("garbage collection", () => {
    it.effect("is transitive: owner → secret → secret", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const owner = yield* k8s.create(ImageRepository, imageRepository("owner"))
        const child = yield* k8s.create(Secret, secret("child", { ownerReferences: [ownedBy(owner)] }))
        yield* k8s.create(Secret, secret("grandchild", { ownerReferences: [ownedBy(child, "Secret")] }))
        yield* k8s.create(Secret, secret("unrelated"))
        yield* k8s.delete(ImageRepository, { namespace: ns, name: "owner" })
        const names = (yield* control.snapshot).map((o) => (o["metadata"] as { name: string }).name)
        assert.deepStrictEqual(names, ["unrelated"])
      }).pipe(withStore))

    it.effect("waits for the owner's finalizers, and for every owner", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const first = yield* k8s.create(
          ImageRepository,
          imageRepository("first", { metadata: { name: "first", namespace: ns, finalizers: ["x/y"] } })
        )
        const second = yield* k8s.create(ImageRepository, imageRepository("second"))
        const ref = { namespace: ns, name: "shared" }
        yield* k8s.create(Secret, secret("shared", {
          ownerReferences: [ownedBy(first), { ...ownedBy(second), controller: false }]
        }))

        yield* k8s.delete(ImageRepository, { namespace: ns, name: "second" })
        assert.isTrue(Option.isSome(yield* k8s.get(Secret, ref)), "one owner is left")
        yield* k8s.delete(ImageRepository, { namespace: ns, name: "first" })
        assert.isTrue(Option.isSome(yield* k8s.get(Secret, ref)), "the last owner is only being deleted")
        yield* k8s.patch(ImageRepository, { namespace: ns, name: "first" }, { metadata: { finalizers: null } })
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, ref)))
      }).pipe(withStore))

    it.effect("a dependent with finalizers is only marked for deletion", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const owner = yield* k8s.create(ImageRepository, imageRepository("owner"))
        const ref = { namespace: ns, name: "child" }
        yield* k8s.create(Secret, secret("child", { ownerReferences: [ownedBy(owner)], finalizers: ["x/y"] }))
        yield* k8s.delete(ImageRepository, { namespace: ns, name: "owner" })
        const child = Option.getOrThrow(yield* k8s.get(Secret, ref))
        assert.isDefined(child.metadata.deletionTimestamp)
      }).pipe(withStore))

    it.effect("an owner recreated under the same name does not keep the old one's dependents", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const owner = yield* k8s.create(ImageRepository, imageRepository("owner"))
        yield* k8s.create(Secret, secret("child", { ownerReferences: [ownedBy(owner)] }))
        yield* control.remove(ImageRepository, { namespace: ns, name: "owner" })
        yield* k8s.create(ImageRepository, imageRepository("owner"))
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, { namespace: ns, name: "child" })))
      }).pipe(withStore))

    it.effect("collects an object written with owners that do not exist (uid, kind and name must match)", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const owner = yield* k8s.create(ImageRepository, imageRepository("owner"))
        const exists = (name: string) => Effect.map(k8s.get(Secret, { namespace: ns, name }), Option.isSome)
        const created = yield* k8s.create(Secret, secret("ghost-owned", { ownerReferences: [{ ...ownedBy(owner), uid: "ghost" }] }))
        assert.strictEqual(created.metadata.name, "ghost-owned", "the create itself succeeds")
        assert.isFalse(yield* exists("ghost-owned"))
        yield* k8s.create(Secret, secret("misnamed", { ownerReferences: [{ ...ownedBy(owner), name: "other" }] }))
        assert.isFalse(yield* exists("misnamed"))
        yield* k8s.create(Secret, secret("later"))
        yield* k8s.patch(Secret, { namespace: ns, name: "later" }, { metadata: { ownerReferences: [{ ...ownedBy(owner), uid: "ghost" }] } })
        assert.isFalse(yield* exists("later"))
        yield* k8s.create(Secret, secret("owned", { ownerReferences: [ownedBy(owner)] }))
        assert.isTrue(yield* exists("owned"))
        yield* control.put(Secret, secret("staged", { ownerReferences: [{ ...ownedBy(owner), uid: "ghost" }] }))
        assert.isTrue(yield* exists("staged"), "out-of-band writes are left alone")
      }).pipe(withStore))
  })
})
