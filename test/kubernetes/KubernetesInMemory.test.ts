import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Option, Stream, Tracer } from "effect"
import type { ObjectMeta } from "../../src/domain/ObjectMeta.ts"
import type { ImageRepository as ImageRepositoryType } from "../../src/domain/ImageRepository.ts"
import type { Secret as SecretType } from "../../src/domain/Secret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { KubernetesControl } from "../../src/layers/KubernetesInMemory.ts"
import { Kubernetes, type WatchEvent } from "../../src/services/Kubernetes.ts"
import { KubernetesConflict, KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import { ImageRepository, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"

const ns = "team-a"

const imageRepository = (name: string, extra: Partial<ImageRepositoryType> = {}): ImageRepositoryType => ({
  metadata: { name, namespace: ns },
  spec: { image: { visibility: "public" } },
  ...extra
})

const secret = (name: string, meta: Partial<SecretType["metadata"]> = {}): SecretType => ({
  metadata: { name, namespace: ns, ...meta },
  type: "Opaque",
  data: { token: "c2VjcmV0" }
})

const ownedBy = (owner: { readonly metadata: ObjectMeta }, kind = "ImageRepository") => ({
  apiVersion: "appstudio.redhat.com/v1alpha1",
  kind,
  name: owner.metadata.name,
  uid: owner.metadata.uid ?? "",
  controller: true,
  blockOwnerDeletion: true
})

const setup = Effect.all({ k8s: Kubernetes, control: KubernetesControl })

const withStore = <A, E>(self: Effect.Effect<A, E, Kubernetes | KubernetesControl>) =>
  Effect.provide(self, KubernetesInMemory.layer())

/** Lets forked fibers run up to their next suspension. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

const errorTag = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>): string | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Exit.causeOption(exit), (cause) => {
    const failure = cause._tag === "Fail" ? cause.error._tag : undefined
    return failure ?? cause._tag
  })) : undefined

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  return exit.cause._tag === "Fail" ? exit.cause.error : undefined
}

const summary = <A extends { readonly metadata: { readonly name: string } }>(events: Iterable<WatchEvent<A>>) =>
  [...events].map((e) => (e.type === "BOOKMARK" ? "BOOKMARK" : `${e.type} ${e.object.metadata.name}`))

describe("KubernetesInMemory", () => {
  describe("server-assigned metadata", () => {
    it.effect("create assigns uid, creationTimestamp from the Clock, generation 1 and a resourceVersion", () =>
      Effect.gen(function*() {
        const { k8s, control } = yield* setup
        const created = yield* k8s.create(ImageRepository, imageRepository("a"))
        assert.match(created.metadata.uid ?? "", /^[0-9a-f-]{36}$/)
        assert.strictEqual(created.metadata.creationTimestamp, "1970-01-01T00:00:00Z")
        assert.strictEqual(created.metadata.generation, 1)
        assert.strictEqual(created.apiVersion, "appstudio.redhat.com/v1alpha1")
        assert.strictEqual(created.kind, "ImageRepository")
        assert.strictEqual(created.metadata.resourceVersion, yield* control.resourceVersion)
      }).pipe(withStore))

    it.effect("resourceVersion is one global counter across kinds", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const a = yield* k8s.create(ImageRepository, imageRepository("a"))
        const b = yield* k8s.create(Secret, secret("b"))
        const c = yield* k8s.create(ServiceAccount, { metadata: { name: "c", namespace: ns } })
        const versions = [a, b, c].map((o) => Number(o.metadata.resourceVersion))
        assert.deepStrictEqual(versions, [1, 2, 3])
        const list = yield* k8s.list(Secret)
        assert.strictEqual(list.resourceVersion, "3")
      }).pipe(withStore))

    it.effect("create ignores a client-supplied uid, deletionTimestamp and status", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const created = yield* k8s.create(
          ImageRepository,
          imageRepository("a", {
            metadata: { name: "a", namespace: ns, uid: "mine", deletionTimestamp: "2020-01-01T00:00:00Z" },
            status: { state: "ready" }
          })
        )
        assert.notStrictEqual(created.metadata.uid, "mine")
        assert.strictEqual(created.metadata.deletionTimestamp, undefined)
        assert.strictEqual(created.status, undefined)
      }).pipe(withStore))

    it.effect("create with a resourceVersion fails like etcd's store: a 500", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const exit = yield* Effect.exit(k8s.create(Secret, secret("a", { resourceVersion: "7" })))
        const error = failureOf(exit)
        assert.instanceOf(error, KubernetesUnavailable)
        assert.strictEqual(error.status, 500)
      }).pipe(withStore))

    it.effect("names must be DNS-1123 subdomains; namespaces labels", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        for (const name of ["Upper", "under_score", "-lead", "trail-", "", "a".repeat(254)]) {
          const exit = yield* Effect.exit(k8s.create(Secret, secret(name)))
          assert.strictEqual(errorTag(exit), "KubernetesInvalid", name)
        }
        const badNamespace = yield* Effect.exit(k8s.create(Secret, { metadata: { name: "a", namespace: "a.b" } }))
        assert.strictEqual(errorTag(badNamespace), "KubernetesInvalid")
        yield* k8s.create(Secret, secret("a.b-c.d"))
      }).pipe(withStore))

    it.effect("validates metadata like the apiserver: finalizer names, one controller owner", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const badFinalizer = yield* Effect.exit(k8s.create(Secret, secret("a", { finalizers: ["not a name"] })))
        assert.strictEqual(errorTag(badFinalizer), "KubernetesInvalid")
        const owner = { apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "u1", controller: true }
        const twoControllers = yield* Effect.exit(
          k8s.create(Secret, secret("b", { ownerReferences: [owner, { ...owner, name: "p", uid: "u2" }] }))
        )
        assert.strictEqual(errorTag(twoControllers), "KubernetesInvalid")
        const noUid = yield* Effect.exit(k8s.create(Secret, secret("c", { ownerReferences: [{ ...owner, uid: "" }] })))
        assert.strictEqual(errorTag(noUid), "KubernetesInvalid")
        const dockerConfig = yield* k8s.create(Secret, {
          metadata: { name: "d", namespace: ns },
          type: "kubernetes.io/dockerconfigjson",
          data: { ".dockerconfigjson": Buffer.from("{\"auths\":{}}").toString("base64") }
        })
        assert.strictEqual(dockerConfig.type, "kubernetes.io/dockerconfigjson")
        const missingKey = yield* Effect.exit(
          k8s.create(Secret, { metadata: { name: "e", namespace: ns }, type: "kubernetes.io/dockerconfigjson" })
        )
        assert.strictEqual(errorTag(missingKey), "KubernetesInvalid")
      }).pipe(withStore))

    it.effect("an immutable Secret's data cannot change", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        yield* control.put(Secret, { metadata: { name: "a", namespace: ns }, type: "Opaque", immutable: true, data: {} })
        const exit = yield* Effect.exit(k8s.patch(Secret, { namespace: ns, name: "a" }, { data: { k: "dg==" } }))
        assert.strictEqual(errorTag(exit), "KubernetesInvalid")
      }).pipe(withStore))

    it.effect("leaves ImageRepository spec validation to the programs (no CRD schema here)", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const created = yield* k8s.create(
          ImageRepository,
          imageRepository("a", { spec: { image: { name: "Not A Valid Name!", visibility: "secret" } } })
        )
        assert.strictEqual(created.spec?.image?.visibility, "secret")
      }).pipe(withStore))
  })

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

  describe("fault injection", () => {
    it.effect("failNext fails the next N matching calls, then recovers", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        yield* control.failNext(2, { verbs: ["create"] })
        const ref = { namespace: ns, name: "a" }
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, ref)), "other verbs are unaffected")
        const first = yield* Effect.exit(k8s.create(Secret, secret("a")))
        const second = yield* Effect.exit(k8s.create(Secret, secret("a")))
        const error = failureOf(first)
        assert.instanceOf(error, KubernetesUnavailable)
        assert.strictEqual(error.status, 503)
        assert.strictEqual(errorTag(second), "KubernetesUnavailable")
        assert.isTrue(Option.isNone(yield* control.getRaw(Secret, ref)), "a failed write is not applied")
        yield* k8s.create(Secret, secret("a"))
      }).pipe(withStore))

    it.effect("faults can be conflicts, 429s, and lost responses after the write was applied", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        yield* control.failNext(1, { error: "conflict" })
        assert.instanceOf(failureOf(yield* Effect.exit(k8s.list(Secret))), KubernetesConflict)
        yield* control.failNext(1, { status: 429 })
        const throttled = failureOf(yield* Effect.exit(k8s.list(Secret)))
        assert.instanceOf(throttled, KubernetesUnavailable)
        assert.strictEqual(throttled.status, 429)
        yield* control.failNext(1, { verbs: ["create"], afterApply: true })
        const lost = yield* Effect.exit(k8s.create(Secret, secret("a")))
        assert.strictEqual(errorTag(lost), "KubernetesUnavailable")
        assert.isTrue(Option.isSome(yield* k8s.get(Secret, { namespace: ns, name: "a" })), "the write happened")
      }).pipe(withStore))

    it.effect("failRate draws from the injected random source; clearFaults stops it", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const draws = [0.1, 0.9, 0.49, 0.5]
        let i = 0
        yield* control.failRate(0.5, { verbs: ["get"], random: () => draws[i++ % draws.length] ?? 1 })
        const ref = { namespace: ns, name: "a" }
        const outcomes: Array<string> = []
        for (let n = 0; n < 4; n++) outcomes.push(errorTag(yield* Effect.exit(k8s.get(Secret, ref))) ?? "ok")
        assert.deepStrictEqual(outcomes, ["KubernetesUnavailable", "ok", "KubernetesUnavailable", "ok"])
        yield* k8s.list(Secret)
        yield* control.clearFaults
        i = 0
        yield* k8s.get(Secret, ref)
      }).pipe(withStore))

    it.scoped("watch is only failed when asked for", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        yield* control.failNext(1)
        const fiber = yield* k8s.watch(Secret).pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        yield* settle
        assert.strictEqual(errorTag(yield* Effect.exit(k8s.create(Secret, secret("a")))), "KubernetesUnavailable")
        yield* k8s.create(Secret, secret("a"))
        assert.deepStrictEqual(summary(yield* Fiber.join(fiber)), ["ADDED a"])
        yield* control.failNext(1, { verbs: ["watch"] })
        const failed = yield* Effect.exit(Stream.runCollect(k8s.watch(Secret)))
        assert.strictEqual(errorTag(failed), "KubernetesUnavailable")
      }).pipe(withStore))
  })

  describe("tracing", () => {
    it.effect("every request gets a Kubernetes.<verb> span with kind, namespace and name", () =>
      Effect.gen(function*() {
        const { k8s } = yield* setup
        const spans: Array<{ readonly name: string; readonly attributes: Record<string, unknown> }> = []
        const base = yield* Effect.tracer
        const recording = Tracer.make({
          context: base.context,
          span: (name, ...rest) => {
            const span = base.span(name, ...rest)
            const attributes: Record<string, unknown> = {}
            spans.push({ name, attributes })
            const setAttribute = span.attribute.bind(span)
            span.attribute = (key, value) => {
              attributes[key] = value
              setAttribute(key, value)
            }
            return span
          }
        })
        yield* Effect.withTracer(
          Effect.all([
            k8s.create(Secret, secret("a")),
            k8s.get(Secret, { namespace: ns, name: "a" }),
            k8s.list(Secret, { namespace: ns }),
            k8s.delete(Secret, { namespace: ns, name: "a" })
          ]),
          recording
        )
        assert.deepStrictEqual(spans.map((s) => s.name), [
          "Kubernetes.create",
          "Kubernetes.get",
          "Kubernetes.list",
          "Kubernetes.delete"
        ])
        assert.deepStrictEqual(spans[1]?.attributes, {
          "kubernetes.kind": "Secret",
          "kubernetes.namespace": ns,
          "kubernetes.name": "a"
        })
      }).pipe(withStore))
  })

  describe("call counting", () => {
    it.effect("counts calls by verb and kind, failed ones too, but not control's out-of-band access", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        const ref = { namespace: ns, name: "a" }
        yield* control.put(Secret, { metadata: { name: "pre", namespace: ns } })
        yield* k8s.create(Secret, secret("a"))
        yield* k8s.get(Secret, ref)
        yield* k8s.patch(Secret, ref, { data: { x: "eA==" } })
        yield* Effect.exit(k8s.create(Secret, secret("a")))
        yield* k8s.create(ImageRepository, imageRepository("a"))
        yield* k8s.list(ImageRepository)
        yield* k8s.delete(Secret, ref)
        yield* control.getRaw(Secret, ref)
        yield* control.delete(ImageRepository, ref)
        const calls = yield* control.calls
        assert.strictEqual(calls.total, 7)
        assert.strictEqual(calls.writes, 5)
        assert.strictEqual(calls.byVerb.create, 3)
        assert.strictEqual(calls.byKind["Secret"]?.create, 2)
        assert.strictEqual(calls.byKind["ImageRepository"]?.list, 1)
        assert.strictEqual(calls.byKind["Secret"]?.delete, 1)
        yield* control.resetCalls
        const reset = yield* control.calls
        assert.strictEqual(reset.total, 0)
        assert.deepStrictEqual(reset.byKind, {})
      }).pipe(withStore))

    it.effect("snapshot returns every object encoded, with unknown fields", () =>
      Effect.gen(function*() {
        const { control, k8s } = yield* setup
        yield* control.put(ImageRepository, {
          metadata: { name: "ir", namespace: ns },
          spec: { image: { visibility: "private" }, futureField: { x: 1 } },
          status: { state: "ready" }
        })
        yield* k8s.create(Secret, secret("s"))
        const snapshot = yield* control.snapshot
        assert.strictEqual(snapshot.length, 2)
        const ir = snapshot.find((o) => o["kind"] === "ImageRepository")
        assert.deepStrictEqual((ir?.["spec"] as { futureField?: unknown }).futureField, { x: 1 })
        assert.deepStrictEqual(ir?.["status"], { state: "ready" })
      }).pipe(withStore))
  })
})
