/** The in-memory apiserver assigns and validates metadata as a real one does. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import { ImageRepository, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { ns, imageRepository, secret, setup, withStore, errorTag, failureOf } from "./inMemorySupport.ts"

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
})
