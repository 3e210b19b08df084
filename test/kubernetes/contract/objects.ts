/** The Kubernetes contract for creating, reading and listing objects: discovery, server-side validation and defaulting. */
import { assert } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Kubernetes } from "../../../src/services/Kubernetes.ts"
import type { KubernetesError } from "../../../src/services/KubernetesError.ts"
import { ImageRepository, Secret, ServiceAccount } from "../../../src/services/ResourceKind.ts"
import {
  UnservedKind,
  UnservedInServedGroup,
  type Labelled,
  imageRepository,
  secret,
  rfc3339Seconds,
  errorTagOf,
  namesOf,
  type ContractIt,
  type ContractContext
} from "./fixtures.ts"

export const objectContract = (it: ContractIt, { fresh }: ContractContext): void => {
  it.scoped("create then get returns the object with the server's metadata; a missing object is none", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const created = yield* k8s.create(ImageRepository, imageRepository(namespace, "first"))
      assert.strictEqual(created.metadata.namespace, namespace)
      assert.isString(created.metadata.uid)
      assert.isString(created.metadata.resourceVersion)
      assert.match(created.metadata.creationTimestamp ?? "", rfc3339Seconds)
      assert.strictEqual(created.metadata.generation, 1)
      assert.strictEqual(created.spec?.image?.visibility, "public")

      const got = yield* k8s.get(ImageRepository, { namespace, name: "first" })
      assert.isTrue(Option.isSome(got))
      assert.strictEqual(Option.getOrThrow(got).metadata.uid, created.metadata.uid)
      assert.strictEqual(Option.getOrThrow(got).metadata.resourceVersion, created.metadata.resourceVersion)
      assert.isTrue(Option.isNone(yield* k8s.get(ImageRepository, { namespace, name: "absent" })))
    }))

  it.scoped("discovery tells a served kind from one no CRD serves; an unserved kind reads as absent", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      assert.isTrue(yield* k8s.serves(Secret))
      assert.isTrue(yield* k8s.serves(ImageRepository))
      assert.isFalse(yield* k8s.serves(UnservedKind), "a group/version the apiserver does not know")
      assert.isFalse(yield* k8s.serves(UnservedInServedGroup), "a group/version the apiserver serves, without that resource")
      assert.isTrue(Option.isNone(yield* k8s.get(UnservedKind, { namespace, name: "any" })))
      assert.strictEqual(errorTagOf(yield* Effect.exit(k8s.list(UnservedKind, { namespace }))), "KubernetesNotFound")
    }))

  it.scoped("resourceVersions move forward and differ between writes", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const a = yield* k8s.create(Secret, secret(namespace, "a"))
      const b = yield* k8s.patch(Secret, { namespace, name: "a" }, { metadata: { labels: { x: "1" } } })
      assert.notStrictEqual(a.metadata.resourceVersion, b.metadata.resourceVersion)
      const list = yield* k8s.list(Secret, { namespace })
      assert.isString(list.resourceVersion)
      assert.notStrictEqual(list.resourceVersion, "")
    }))

  it.scoped("list filters by namespace and label selector", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const other = yield* fresh
      const labelled = (labels: Labelled) => ({ labels })
      yield* k8s.create(Secret, secret(namespace, "web", labelled({ app: "shop", tier: "web" })))
      yield* k8s.create(Secret, secret(namespace, "db", labelled({ app: "shop", tier: "db" })))
      yield* k8s.create(Secret, secret(namespace, "plain"))
      yield* k8s.create(Secret, secret(other, "web", labelled({ app: "shop", tier: "web" })))
      yield* k8s.create(ServiceAccount, { metadata: { name: "sa", namespace, labels: { app: "shop" } } })

      const list = (labelSelector?: string) =>
        k8s.list(Secret, { namespace, ...(labelSelector === undefined ? {} : { labelSelector }) }).pipe(
          Effect.map((l) => namesOf(l.items))
        )
      assert.deepStrictEqual(yield* list(), ["db", "plain", "web"])
      assert.deepStrictEqual(yield* list("app=shop"), ["db", "web"])
      assert.deepStrictEqual(yield* list("app=shop,tier=web"), ["web"])
      assert.deepStrictEqual(yield* list("tier!=web"), ["db", "plain"])
      assert.deepStrictEqual(yield* list("tier"), ["db", "web"])
      assert.deepStrictEqual(namesOf((yield* k8s.list(Secret, { namespace: other })).items), ["web"])
      assert.deepStrictEqual(namesOf((yield* k8s.list(ServiceAccount, { namespace, labelSelector: "app=shop" })).items), [
        "sa"
      ])
    }))

  it.scoped("create of an existing name is a conflict; an invalid name is invalid", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      yield* k8s.create(Secret, secret(namespace, "taken"))
      assert.strictEqual(errorTagOf(yield* Effect.exit(k8s.create(Secret, secret(namespace, "taken")))), "KubernetesConflict")
      assert.strictEqual(
        errorTagOf(yield* Effect.exit(k8s.create(Secret, secret(namespace, "Not_A_Name")))),
        "KubernetesInvalid"
      )
    }))

  it.scoped("the apiserver's own validation and defaulting: label values, Secret data, type and stringData", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const invalid = <A>(effect: Effect.Effect<A, KubernetesError>) =>
        Effect.map(Effect.exit(effect), (exit) => assert.strictEqual(errorTagOf(exit), "KubernetesInvalid"))
      yield* invalid(k8s.create(Secret, secret(namespace, "long-label", { labels: { component: "x".repeat(64) } })))
      yield* invalid(k8s.create(Secret, { ...secret(namespace, "not-base64"), data: { token: "not base64!" } }))
      yield* invalid(
        k8s.create(Secret, {
          ...secret(namespace, "bad-docker-config"),
          type: "kubernetes.io/dockerconfigjson",
          data: { ".dockerconfigjson": Buffer.from("{not json").toString("base64") }
        })
      )
      const plain = yield* k8s.create(Secret, { ...secret(namespace, "typed"), type: undefined })
      assert.strictEqual(plain.type, "Opaque", "the type defaults to Opaque")
      assert.strictEqual(plain.metadata.generation, undefined, "core kinds carry no generation")
      yield* invalid(
        k8s.patch(Secret, { namespace, name: "typed" }, { metadata: { deletionTimestamp: "2020-01-01T00:00:00Z" } })
      )
      yield* invalid(k8s.patch(Secret, { namespace, name: "typed" }, { type: "kubernetes.io/dockerconfigjson" }))
      const folded = yield* k8s.patch(Secret, { namespace, name: "typed" }, { stringData: { extra: "plain text" } })
      assert.deepStrictEqual(folded.data, { token: "c2VjcmV0", extra: Buffer.from("plain text").toString("base64") })
    }))
}
