/** The Kubernetes contract for deletion: finalizers, preconditions, and garbage collection of dependents. */
import { assert } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as ImageRepositoryDomain from "../../../src/domain/ImageRepository.ts"
import { Kubernetes } from "../../../src/services/Kubernetes.ts"
import { ImageRepository, Secret } from "../../../src/services/ResourceKind.ts"
import {
  imageRepository,
  secret,
  rfc3339Seconds,
  errorTagOf,
  NotYet,
  eventually,
  type ContractIt,
  type ContractContext
} from "./fixtures.ts"

export const deletionContract = (it: ContractIt, { fresh, within, testTimeout }: ContractContext): void => {
  it.scoped("finalizers hold a deleted object with a deletionTimestamp until the last one is removed", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const ref = { namespace, name: "held" }
      yield* k8s.create(
        ImageRepository,
        imageRepository(namespace, "held", { finalizers: [ImageRepositoryDomain.finalizer, "example.com/second"] })
      )
      yield* k8s.delete(ImageRepository, ref)
      const deleting = Option.getOrThrow(yield* k8s.get(ImageRepository, ref))
      assert.match(deleting.metadata.deletionTimestamp ?? "", rfc3339Seconds)

      const relabelled = yield* k8s.patch(ImageRepository, ref, { metadata: { labels: { still: "writable" } } })
      assert.strictEqual(relabelled.metadata.labels?.["still"], "writable")
      const added = yield* Effect.exit(
        k8s.patch(ImageRepository, ref, {
          metadata: { finalizers: [ImageRepositoryDomain.finalizer, "example.com/second", "example.com/third"] }
        })
      )
      assert.strictEqual(errorTagOf(added), "KubernetesInvalid")

      yield* k8s.patch(ImageRepository, ref, { metadata: { finalizers: ["example.com/second"] } })
      assert.isTrue(Option.isSome(yield* k8s.get(ImageRepository, ref)))
      const last = yield* k8s.patch(ImageRepository, ref, { metadata: { finalizers: null } })
      assert.strictEqual(last.metadata.finalizers, undefined, "the writer gets its update back")
      assert.isTrue(Option.isNone(yield* k8s.get(ImageRepository, ref)))
    }))

  it.scoped("delete: gone at once without finalizers, NotFound when missing, preconditions checked", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const ref = { namespace, name: "s" }
      const created = yield* k8s.create(Secret, secret(namespace, "s"))
      const wrongUid = yield* Effect.exit(
        k8s.delete(Secret, ref, { preconditions: { uid: "00000000-0000-0000-0000-000000000000" } })
      )
      assert.strictEqual(errorTagOf(wrongUid), "KubernetesConflict")
      yield* k8s.patch(Secret, ref, { metadata: { labels: { moved: "on" } } })
      const staleVersion = yield* Effect.exit(
        k8s.delete(Secret, ref, { preconditions: { resourceVersion: created.metadata.resourceVersion ?? "" } })
      )
      assert.strictEqual(errorTagOf(staleVersion), "KubernetesConflict")
      yield* k8s.delete(Secret, ref, { preconditions: { uid: created.metadata.uid ?? "" } })
      assert.isTrue(Option.isNone(yield* k8s.get(Secret, ref)))
      assert.strictEqual(errorTagOf(yield* Effect.exit(k8s.delete(Secret, ref))), "KubernetesNotFound")
    }))

  it.scoped("garbage collection removes a Secret owned by a deleted ImageRepository", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const owner = yield* k8s.create(ImageRepository, imageRepository(namespace, "owner"))
      const ownerReference = {
        apiVersion: ImageRepositoryDomain.apiVersion,
        kind: ImageRepositoryDomain.kind,
        name: owner.metadata.name,
        uid: owner.metadata.uid ?? "",
        controller: true,
        blockOwnerDeletion: true
      }
      const dependent = yield* k8s.create(Secret, secret(namespace, "owned", { ownerReferences: [ownerReference] }))
      assert.deepStrictEqual(dependent.metadata.ownerReferences, [ownerReference])
      yield* k8s.create(Secret, secret(namespace, "bystander"))

      yield* k8s.delete(ImageRepository, { namespace, name: "owner" })
      yield* eventually(
        within,
        Effect.flatMap(k8s.get(Secret, { namespace, name: "owned" }), (o) =>
          Option.isNone(o) ? Effect.void : Effect.fail(new NotYet({ detail: "the owned Secret still exists" })))
      )
      assert.isTrue(Option.isSome(yield* k8s.get(Secret, { namespace, name: "bystander" })))
    }), testTimeout)

  it.scoped("garbage collection removes an object whose owner never existed", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      yield* k8s.create(
        Secret,
        secret(namespace, "orphan", {
          ownerReferences: [{
            apiVersion: ImageRepositoryDomain.apiVersion,
            kind: ImageRepositoryDomain.kind,
            name: "never-created",
            uid: "00000000-0000-0000-0000-00000000dead"
          }]
        })
      )
      yield* eventually(
        within,
        Effect.flatMap(k8s.get(Secret, { namespace, name: "orphan" }), (o) =>
          Option.isNone(o) ? Effect.void : Effect.fail(new NotYet({ detail: "the orphan still exists" })))
      )
    }), testTimeout)
}
