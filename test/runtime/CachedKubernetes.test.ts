import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { managedByLabel, managedByValue } from "../../src/domain/Secret.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import * as CachedKubernetes from "../../src/runtime/CachedKubernetes.ts"
import * as Informer from "../../src/runtime/Informer.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { ImageRepository, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { imageRepository, managedSecret } from "./support.ts"

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
      const repositories = yield* Informer.make({ kind: ImageRepository, onKey: ignore })
      const secrets = yield* Informer.make({
        kind: Secret,
        labelSelector: `${managedByLabel}=${managedByValue}`,
        onKey: ignore
      })
      yield* repositories.awaitSynced
      yield* secrets.awaitSynced
      const cached = CachedKubernetes.make(yield* Kubernetes, [repositories, secrets])
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
    }).pipe(Effect.provide(InMemory.layer)))

  it.scoped("passes through outside the informer's namespace and before it has synced", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("other", "b"))
      const scoped = yield* Informer.make({ kind: ImageRepository, namespace: "ns", onKey: ignore })
      yield* scoped.awaitSynced
      yield* control.resetCalls
      const cached = CachedKubernetes.make(yield* Kubernetes, [scoped])
      assert.isTrue(Option.isSome(yield* cached.get(ImageRepository, ref("other", "b"))))
      assert.strictEqual(yield* getCalls, 1)

      // An informer whose list keeps failing has not synced: its empty store must not answer.
      yield* control.failNext(100, { verbs: ["list"] })
      const unsynced = yield* Informer.make({ kind: ImageRepository, onKey: ignore })
      const early = CachedKubernetes.make(yield* Kubernetes, [unsynced])
      assert.isTrue(Option.isSome(yield* early.get(ImageRepository, ref("other", "b"))))
      assert.strictEqual(yield* getCalls, 2)
    }).pipe(Effect.provide(InMemory.layer)))

  it.scoped("the layer replaces Kubernetes for what it provides to", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const informer = yield* Informer.make({ kind: ImageRepository, onKey: ignore })
      yield* informer.awaitSynced
      yield* control.resetCalls
      const found = yield* Effect.flatMap(Kubernetes, (k) => k.get(ImageRepository, ref("ns", "a"))).pipe(
        Effect.provide(CachedKubernetes.layer([informer]))
      )
      assert.isTrue(Option.isSome(found))
      assert.strictEqual(yield* getCalls, 0)
    }).pipe(Effect.provide(InMemory.layer)))
})
