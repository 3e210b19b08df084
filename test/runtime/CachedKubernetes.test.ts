import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Schema, Stream, TestClock } from "effect"
import { managedByLabel, managedByValue } from "../../src/domain/Secret.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import * as CachedKubernetes from "../../src/runtime/CachedKubernetes.ts"
import * as Informer from "../../src/runtime/Informer.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { ImageRepository, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { eventually, imageRepository, managedSecret } from "./support.ts"

const ref = (namespace: string, name: string) => ({ namespace, name })
const ignore = () => Effect.void

const getCalls = Effect.map(Effect.flatMap(InMemory.KubernetesControl, (c) => c.calls), (c) => c.byVerb.get)

describe("CachedKubernetes", () => {
  it.scoped("serves gets of informed kinds from the store without an API call", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a", { image: { visibility: "public" } }))
      yield* control.put(Secret, managedSecret("ns", "a-pull", "a"))
      yield* control.put(Secret, managedSecret("ns", "users-own", undefined, false))
      const repositories = yield* Informer.make({ kind: ImageRepository, onChange: ignore })
      const secrets = yield* Informer.make({
        kind: Secret,
        labelSelector: `${managedByLabel}=${managedByValue}`,
        onChange: ignore
      })
      yield* repositories.awaitSynced
      yield* secrets.awaitSynced
      const cached = yield* CachedKubernetes.make(yield* Kubernetes, [repositories, secrets])
      yield* control.resetCalls

      const a = yield* cached.get(ImageRepository, ref("ns", "a"))
      assert.strictEqual(Option.getOrThrow(a).spec?.image?.visibility, "public")
      // Absent from a full (unselected) store means absent: no call either.
      assert.isTrue(Option.isNone(yield* cached.get(ImageRepository, ref("ns", "missing"))))
      assert.isTrue(Option.isSome(yield* cached.get(Secret, ref("ns", "a-pull"))))
      assert.strictEqual(yield* getCalls, 0)

      // A Secret without the operator's label is outside the selected store: the apiserver answers.
      assert.isTrue(Option.isSome(yield* cached.get(Secret, ref("ns", "users-own"))))
      assert.strictEqual(yield* getCalls, 1)
      // So does a kind nobody informs on.
      assert.isTrue(Option.isNone(yield* cached.get(ServiceAccount, ref("ns", "default"))))
      assert.strictEqual(yield* getCalls, 2)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("passes through outside the informer's namespace and before it has synced", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("other", "b"))
      const scoped = yield* Informer.make({ kind: ImageRepository, namespace: "ns", onChange: ignore })
      yield* scoped.awaitSynced
      yield* control.resetCalls
      const cached = yield* CachedKubernetes.make(yield* Kubernetes, [scoped])
      assert.isTrue(Option.isSome(yield* cached.get(ImageRepository, ref("other", "b"))))
      assert.strictEqual(yield* getCalls, 1)

      // An informer whose list keeps failing has not synced: its empty store must not answer.
      yield* control.failNext(100, { verbs: ["list"] })
      const unsynced = yield* Informer.make({ kind: ImageRepository, onChange: ignore })
      const early = yield* CachedKubernetes.make(yield* Kubernetes, [unsynced])
      assert.isTrue(Option.isSome(yield* early.get(ImageRepository, ref("other", "b"))))
      assert.strictEqual(yield* getCalls, 2)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("the layer replaces Kubernetes for what it provides to", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: ignore })
      yield* informer.awaitSynced
      yield* control.resetCalls
      const found = yield* Effect.flatMap(Kubernetes, (k) => k.get(ImageRepository, ref("ns", "a"))).pipe(
        Effect.provide(CachedKubernetes.layer([informer]))
      )
      assert.isTrue(Option.isSome(found))
      assert.strictEqual(yield* getCalls, 0)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("serves lists of a namespace an unselected informer holds, with its own unseen writes; others pass through", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const real = yield* Kubernetes
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* control.put(ImageRepository, imageRepository("other", "b"))
      yield* control.put(Secret, managedSecret("ns", "a-pull", undefined))
      // A frozen watch: the store stays at the list, so what is read back can only be this client's own write.
      const frozen: Kubernetes = { ...real, watch: () => Stream.never }
      const repositories = yield* Informer.make({ kind: ImageRepository, onChange: ignore }).pipe(
        Effect.provideService(Kubernetes, frozen)
      )
      const secrets = yield* Informer.make({
        kind: Secret,
        labelSelector: `${managedByLabel}=${managedByValue}`,
        onChange: ignore
      })
      yield* repositories.awaitSynced
      yield* secrets.awaitSynced
      const cached = yield* CachedKubernetes.make(real, [repositories, secrets])
      yield* cached.patch(ImageRepository, ref("ns", "a"), { status: { state: "ready" } }, { subresource: "status" })
      yield* cached.create(ImageRepository, yield* Schema.decodeUnknown(ImageRepository.schema)(imageRepository("ns", "c")))
      const lists = Effect.map(control.calls, (c) => c.byVerb.list)
      const before = yield* lists

      const listed = yield* cached.list(ImageRepository, { namespace: "ns" })
      assert.deepStrictEqual(listed.items.map((o) => [o.metadata.name, o.status?.state]), [["a", "ready"], ["c", undefined]])
      assert.strictEqual((yield* cached.list(ImageRepository)).items.length, 3)
      assert.strictEqual(yield* lists, before, "served from the store")

      // A label-selected store does not hold every Secret, and a selector asks for what the store may not hold.
      yield* cached.list(Secret, { namespace: "ns" })
      yield* cached.list(ImageRepository, { namespace: "ns", labelSelector: "x=y" })
      assert.strictEqual(yield* lists, before + 2)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("reads back its own writes until the informer catches up", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const real = yield* Kubernetes
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      // An informer whose watch delivers nothing: its store stays at the list.
      const frozen: Kubernetes = { ...real, watch: () => Stream.never }
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: ignore }).pipe(
        Effect.provideService(Kubernetes, frozen)
      )
      yield* informer.awaitSynced
      const cached = yield* CachedKubernetes.make(real, [informer], { writeShadow: "1 minute" })
      const patched = yield* cached.patch(ImageRepository, ref("ns", "a"), { status: { state: "ready" } }, {
        subresource: "status"
      })
      yield* control.resetCalls
      const read = Option.getOrThrow(yield* cached.get(ImageRepository, ref("ns", "a")))
      assert.strictEqual(read.status?.state, "ready")
      assert.strictEqual(read.metadata.resourceVersion, patched.metadata.resourceVersion)
      assert.strictEqual(yield* getCalls, 0)
      // The store itself is still behind.
      assert.isUndefined(Option.getOrThrow(yield* informer.get(ref("ns", "a"))).status?.state)
      // A bound on how long a write shadows the store, should its event never come.
      yield* TestClock.adjust("61 seconds")
      assert.isUndefined(Option.getOrThrow(yield* cached.get(ImageRepository, ref("ns", "a"))).status?.state)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("prefers the store again once it has seen the write or something newer", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: ignore })
      yield* informer.awaitSynced
      const cached = yield* CachedKubernetes.make(yield* Kubernetes, [informer])
      yield* cached.patch(ImageRepository, ref("ns", "a"), { status: { state: "ready" } }, { subresource: "status" })
      // Someone else writes after us; once the store has it, that is what reads see.
      yield* control.patch(ImageRepository, ref("ns", "a"), { status: { state: "failed" } }, { subresource: "status" })
      yield* eventually(
        Effect.map(informer.get(ref("ns", "a")), (o) => Option.getOrThrow(o).status?.state === "failed")
      )
      const read = Option.getOrThrow(yield* cached.get(ImageRepository, ref("ns", "a")))
      assert.strictEqual(read.status?.state, "failed")
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("serves a deletion the informer has seen, not its own earlier write", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const real = yield* Kubernetes
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const secrets = yield* Informer.make({
        kind: Secret,
        labelSelector: `${managedByLabel}=${managedByValue}`,
        onChange: ignore
      })
      const repositories = yield* Informer.make({ kind: ImageRepository, onChange: ignore })
      yield* secrets.awaitSynced
      yield* repositories.awaitSynced
      const cached = yield* CachedKubernetes.make(real, [repositories, secrets])
      const secret = yield* Schema.decodeUnknown(Secret.schema)({
        // No owner: the made-up owner uid would have it garbage-collected at once.
        ...managedSecret("ns", "a-pull", undefined),
        data: { ".dockerconfigjson": "e30=" }
      })
      yield* cached.create(Secret, secret)
      yield* cached.patch(ImageRepository, ref("ns", "a"), { status: { state: "ready" } }, { subresource: "status" })
      // A user deletes both; the informers see it.
      const seenBy = (informer: { readonly resourceVersion: Effect.Effect<Option.Option<string>> }) =>
        Effect.flatMap(control.resourceVersion, (latest) =>
          eventually(Effect.map(informer.resourceVersion, (rv) => Option.getOrUndefined(rv) === latest)))
      yield* control.remove(Secret, ref("ns", "a-pull"))
      yield* seenBy(secrets)
      yield* control.remove(ImageRepository, ref("ns", "a"))
      yield* seenBy(repositories)
      assert.isTrue(Option.isNone(yield* cached.get(Secret, ref("ns", "a-pull"))))
      assert.isTrue(Option.isNone(yield* cached.get(ImageRepository, ref("ns", "a"))))
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("keeps no written object once the informer has seen it or the window has passed", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const real = yield* Kubernetes
      const informer = yield* Informer.make({ kind: ImageRepository, onChange: ignore })
      yield* informer.awaitSynced
      const { kubernetes: cached, shadowed } = yield* CachedKubernetes.makeObservable(real, [informer])
      for (const name of ["a", "b", "c"]) {
        yield* control.put(ImageRepository, imageRepository("ns", name))
        yield* cached.patch(ImageRepository, ref("ns", name), { status: { state: "ready" } }, { subresource: "status" })
      }
      // Deleted behind this client's back: nothing reads those keys again.
      for (const name of ["a", "b", "c"]) yield* control.remove(ImageRepository, ref("ns", name))
      const latest = yield* control.resourceVersion
      yield* eventually(Effect.map(informer.resourceVersion, (rv) => Option.getOrUndefined(rv) === latest))
      assert.deepStrictEqual(yield* informer.list, [])
      yield* cached.get(ImageRepository, ref("ns", "other"))
      assert.strictEqual(yield* shadowed, 0)

      // An informer that never catches up: the window bounds what is kept.
      const frozen: Kubernetes = { ...real, watch: () => Stream.never }
      const stuck = yield* Informer.make({ kind: ImageRepository, onChange: ignore }).pipe(
        Effect.provideService(Kubernetes, frozen)
      )
      yield* stuck.awaitSynced
      const behind = yield* CachedKubernetes.makeObservable(real, [stuck], { writeShadow: "1 minute" })
      for (const name of ["d", "e"]) {
        yield* control.put(ImageRepository, imageRepository("ns", name))
        yield* behind.kubernetes.patch(ImageRepository, ref("ns", name), { status: { state: "ready" } }, {
          subresource: "status"
        })
      }
      assert.strictEqual(yield* behind.shadowed, 2)
      yield* TestClock.adjust("61 seconds")
      yield* behind.kubernetes.get(ImageRepository, ref("ns", "other"))
      assert.strictEqual(yield* behind.shadowed, 0)
    }).pipe(Effect.provide(InMemory.layer())))
})
