/** Writes to the in-memory apiserver: no-op writes, PUT versus PATCH, refused patches, generation. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import { ImageRepository, Secret } from "../../src/services/ResourceKind.ts"
import { ns, imageRepository, secret, setup, withStore, errorTag, failureOf } from "./inMemorySupport.ts"

describe("KubernetesInMemory", () => {
  describe("writes", () => {
    it.effect("a no-op write changes nothing: same resourceVersion, no event", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const created = yield* k8s.create(Secret, secret("a", { labels: { x: "1" } }))
        const patched = yield* k8s.patch(Secret, { namespace: ns, name: "a" }, { metadata: { labels: { x: "1" } } })
        const replaced = yield* k8s.replace(Secret, created)
        assert.strictEqual(patched.metadata.resourceVersion, created.metadata.resourceVersion)
        assert.strictEqual(replaced.metadata.resourceVersion, created.metadata.resourceVersion)
        assert.strictEqual(yield* control.resourceVersion, created.metadata.resourceVersion)
      }).pipe(withStore))

    it.effect("PUT cannot change server-owned metadata; a different uid is invalid", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const created = yield* k8s.create(Secret, secret("a"))
        const otherUid = yield* Effect.exit(k8s.replace(Secret, { ...created, metadata: { ...created.metadata, uid: "other" } }))
        assert.strictEqual(errorTag(otherUid), "KubernetesInvalid")
        const { uid: _, ...withoutUid } = created.metadata
        const replaced = yield* k8s.replace(Secret, {
          ...created,
          metadata: { ...withoutUid, creationTimestamp: "2000-01-01T00:00:00Z", generation: 9 },
          data: { token: "b3RoZXI=" }
        })
        assert.strictEqual(replaced.metadata.uid, created.metadata.uid)
        assert.strictEqual(replaced.metadata.creationTimestamp, created.metadata.creationTimestamp)
        assert.strictEqual(replaced.metadata.generation, undefined, "a Secret has no generation, whatever the client says")
        const deleting = yield* Effect.exit(
          k8s.patch(Secret, { namespace: ns, name: "a" }, { metadata: { deletionTimestamp: "2020-01-01T00:00:00Z" } })
        )
        assert.strictEqual(errorTag(deleting), "KubernetesInvalid", "only a delete request starts deletion")
      }).pipe(withStore))

    it.effect("PUT drops fields the writer did not send, unknown ones included; PATCH keeps them", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        yield* control.put(Secret, { metadata: { name: "a", namespace: ns }, data: {}, immutable: false })
        yield* k8s.patch(Secret, { namespace: ns, name: "a" }, { metadata: { labels: { x: "1" } } })
        const afterPatch = yield* control.getRaw(Secret, { namespace: ns, name: "a" })
        assert.strictEqual(Option.getOrThrow(afterPatch)["immutable"], false)
        const typed = Option.getOrThrow(yield* k8s.get(Secret, { namespace: ns, name: "a" }))
        yield* k8s.replace(Secret, { ...typed, data: { k: "dg==" } })
        const afterPut = yield* control.getRaw(Secret, { namespace: ns, name: "a" })
        assert.isFalse("immutable" in Option.getOrThrow(afterPut))
      }).pipe(withStore))

    it.effect("a stored object that does not decode is reported as KubernetesInvalid, not a defect", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        yield* control.put(Secret, { metadata: { name: "a", namespace: ns }, data: { token: 12345 } })
        const exit = yield* Effect.exit(k8s.get(Secret, { namespace: ns, name: "a" }))
        const error = failureOf(exit)
        assert.strictEqual(error?._tag, "KubernetesInvalid")
        assert.include(error?.message, "data.token")
        assert.notInclude(error?.message, "12345", "values stay out of errors")
      }).pipe(withStore))

    it.effect("a resourceVersion that is not a number fails as etcd's parser does: a 500", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        yield* k8s.create(Secret, secret("a"))
        const exit = yield* Effect.exit(k8s.patch(Secret, { namespace: ns, name: "a" }, { metadata: { resourceVersion: "abc" } }))
        const error = failureOf(exit)
        assert.instanceOf(error, KubernetesUnavailable)
        assert.strictEqual(error.status, 500)
      }).pipe(withStore))

    it.effect("a patch that breaks the object's shape is refused, not stored", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const ref = { namespace: ns, name: "a" }
        const created = yield* k8s.create(ImageRepository, imageRepository("a"))
        const exit = yield* Effect.exit(k8s.patch(ImageRepository, ref, { spec: { image: { visibility: 5 } } }))
        assert.strictEqual(errorTag(exit), "KubernetesInvalid")
        assert.include(failureOf(exit)?.message ?? "", "spec.image.visibility")
        const stored = Option.getOrThrow(yield* k8s.get(ImageRepository, ref))
        assert.strictEqual(stored.metadata.resourceVersion, created.metadata.resourceVersion)
        yield* control.patch(ImageRepository, ref, { spec: { image: { visibility: 5 } } })
        const staged = yield* Effect.exit(k8s.get(ImageRepository, ref))
        assert.strictEqual(errorTag(staged), "KubernetesInvalid", "out of band, anything can be stored")
      }).pipe(withStore))

    it.effect("a merge patch that is not an object is refused", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        yield* k8s.create(Secret, secret("a"))
        const exit = yield* Effect.exit(k8s.patch(Secret, { namespace: ns, name: "a" }, ["x"]))
        assert.strictEqual(errorTag(exit), "KubernetesInvalid")
      }).pipe(withStore))

    it.effect("core kinds carry no generation; custom resources count spec changes", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const created = yield* k8s.create(Secret, secret("a"))
        const changed = yield* k8s.patch(Secret, { namespace: ns, name: "a" }, { data: { token: null } })
        assert.strictEqual(created.metadata.generation, undefined)
        assert.strictEqual(changed.metadata.generation, undefined)
        yield* k8s.create(ImageRepository, imageRepository("a"))
        const ir = yield* k8s.patch(ImageRepository, { namespace: ns, name: "a" }, { spec: { image: { visibility: "private" } } })
        assert.strictEqual(ir.metadata.generation, 2)
      }).pipe(withStore))
  })
})
