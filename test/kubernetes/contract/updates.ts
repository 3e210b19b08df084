/** The Kubernetes contract for replace and merge patch: their preconditions, and the status subresource. */
import { assert } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Kubernetes } from "../../../src/services/Kubernetes.ts"
import { ImageRepository, Secret, ServiceAccount } from "../../../src/services/ResourceKind.ts"
import {
  WideServiceAccount,
  WideImageRepository,
  imageRepository,
  secret,
  errorTagOf,
  type ContractIt,
  type ContractContext
} from "./fixtures.ts"

export const updateContract = (it: ContractIt, { fresh }: ContractContext): void => {
  it.scoped("replace is guarded by the resourceVersion it carries, and unconditional without one", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const created = yield* k8s.create(Secret, secret(namespace, "s"))
      const updated = yield* k8s.replace(Secret, { ...created, data: { token: "bmV3" } })
      assert.strictEqual(updated.data?.["token"], "bmV3")
      assert.notStrictEqual(updated.metadata.resourceVersion, created.metadata.resourceVersion)

      const stale = yield* Effect.exit(k8s.replace(Secret, { ...created, data: { token: "c3RhbGU=" } }))
      assert.strictEqual(errorTagOf(stale), "KubernetesConflict")
      const current = Option.getOrThrow(yield* k8s.get(Secret, { namespace, name: "s" }))
      assert.strictEqual(current.data?.["token"], "bmV3")

      const { resourceVersion: _, ...unguarded } = created.metadata
      const forced = yield* k8s.replace(Secret, { ...created, metadata: unguarded, data: { token: "Zm9yY2Vk" } })
      assert.strictEqual(forced.data?.["token"], "Zm9yY2Vk")

      const missing = yield* Effect.exit(k8s.replace(Secret, secret(namespace, "missing")))
      assert.strictEqual(errorTagOf(missing), "KubernetesNotFound")

      // Custom resources are stricter than core kinds: their PUT needs a resourceVersion.
      const ir = yield* k8s.create(ImageRepository, imageRepository(namespace, "ir"))
      const { resourceVersion: __, ...irUnguarded } = ir.metadata
      const unguardedCustom = yield* Effect.exit(
        k8s.replace(ImageRepository, { ...ir, metadata: irUnguarded, spec: { image: { visibility: "private" } } })
      )
      assert.strictEqual(errorTagOf(unguardedCustom), "KubernetesInvalid")
    }))

  it.scoped("merge patch deletes with null and keeps fields the writer does not model", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const ref = { namespace, name: "builder" }
      yield* k8s.create(WideServiceAccount, {
        metadata: { ...ref, labels: { keep: "yes", drop: "yes" }, annotations: { note: "x" } },
        automountServiceAccountToken: false,
        imagePullSecrets: [{ name: "old" }]
      })
      const patched = yield* k8s.patch(ServiceAccount, ref, {
        metadata: { labels: { drop: null, added: "yes" }, annotations: null },
        imagePullSecrets: [{ name: "new" }]
      })
      assert.deepStrictEqual(patched.metadata.labels, { keep: "yes", added: "yes" })
      assert.strictEqual(patched.metadata.annotations, undefined)
      assert.deepStrictEqual(patched.imagePullSecrets, [{ name: "new" }])
      const wide = Option.getOrThrow(yield* k8s.get(WideServiceAccount, ref))
      assert.strictEqual(wide.automountServiceAccountToken, false)

      const missing = yield* Effect.exit(k8s.patch(Secret, { namespace, name: "missing" }, { data: {} }))
      assert.strictEqual(errorTagOf(missing), "KubernetesNotFound")
    }))

  it.scoped("a merge patch carrying a resourceVersion is a precondition", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const ref = { namespace, name: "s" }
      const created = yield* k8s.create(Secret, secret(namespace, "s"))
      const first = yield* k8s.patch(Secret, ref, {
        metadata: { resourceVersion: created.metadata.resourceVersion, labels: { step: "1" } }
      })
      const stale = yield* Effect.exit(
        k8s.patch(Secret, ref, { metadata: { resourceVersion: created.metadata.resourceVersion, labels: { step: "2" } } })
      )
      assert.strictEqual(errorTagOf(stale), "KubernetesConflict")
      const current = Option.getOrThrow(yield* k8s.get(Secret, ref))
      assert.strictEqual(current.metadata.labels?.["step"], "1")
      assert.strictEqual(current.metadata.resourceVersion, first.metadata.resourceVersion)
      const unconditional = yield* k8s.patch(Secret, ref, { metadata: { resourceVersion: "", labels: { step: "3" } } })
      assert.strictEqual(unconditional.metadata.labels?.["step"], "3", "an empty resourceVersion is no precondition")
    }))

  it.scoped("status subresource: main writes ignore status, status writes ignore the rest", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const ref = { namespace, name: "ir" }
      const created = yield* k8s.create(ImageRepository, {
        ...imageRepository(namespace, "ir"),
        status: { state: "ready" }
      })
      assert.strictEqual(created.status, undefined, "create drops status")

      const withStatus = yield* k8s.patch(
        ImageRepository,
        ref,
        { status: { state: "provisioning", observedGeneration: 1 }, spec: { image: { visibility: "private" } } },
        { subresource: "status" }
      )
      assert.strictEqual(withStatus.status?.state, "provisioning")
      assert.strictEqual(withStatus.spec?.image?.visibility, "public", "a status write ignores spec")
      assert.strictEqual(withStatus.metadata.generation, 1, "a status write does not bump generation")

      const mainWrite = yield* k8s.patch(ImageRepository, ref, { status: { state: "failed" }, metadata: { labels: { a: "b" } } })
      assert.strictEqual(mainWrite.status?.state, "provisioning", "a main write ignores status")
      assert.strictEqual(mainWrite.metadata.generation, 1, "metadata changes do not bump generation")

      const specChange = yield* k8s.replace(ImageRepository, {
        ...mainWrite,
        spec: { image: { visibility: "private" } },
        status: { state: "failed" }
      })
      assert.strictEqual(specChange.metadata.generation, 2, "a spec change bumps generation")
      assert.strictEqual(specChange.status?.state, "provisioning")

      const statusReplace = yield* k8s.replace(
        ImageRepository,
        { ...specChange, spec: { image: { visibility: "public" } }, status: { state: "ready", observedGeneration: 2 } },
        { subresource: "status" }
      )
      assert.strictEqual(statusReplace.status?.state, "ready")
      assert.strictEqual(statusReplace.spec?.image?.visibility, "private")
      assert.strictEqual(statusReplace.metadata.generation, 2)

      const stale = yield* Effect.exit(
        k8s.replace(ImageRepository, { ...specChange, status: { state: "failed" } }, { subresource: "status" })
      )
      assert.strictEqual(errorTagOf(stale), "KubernetesConflict")

      yield* k8s.create(Secret, secret(namespace, "no-status"))
      const noSubresource = yield* Effect.exit(
        k8s.patch(Secret, { namespace, name: "no-status" }, { data: {} }, { subresource: "status" })
      )
      assert.strictEqual(errorTagOf(noSubresource), "KubernetesNotFound", "a kind without status has no /status")
    }))

  it.scoped("a status merge patch keeps status fields the writer does not model", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const ref = { namespace, name: "ir" }
      yield* k8s.create(ImageRepository, imageRepository(namespace, "ir"))
      yield* k8s.patch(
        WideImageRepository,
        ref,
        { status: { credentials: { "pull-secret": "ir-pull" } } },
        { subresource: "status" }
      )
      yield* k8s.patch(
        ImageRepository,
        ref,
        { status: { state: "ready", credentials: { "push-secret": "ir-push" } } },
        { subresource: "status" }
      )
      const wide = Option.getOrThrow(yield* k8s.get(WideImageRepository, ref))
      assert.deepStrictEqual(wide.status?.credentials, { "pull-secret": "ir-pull", "push-secret": "ir-push" })
      assert.strictEqual(wide.status?.state, "ready")
    }))
}
