/**
 * The behaviour of the `Kubernetes` service that the programs rely on, written against the interface only so
 * the same suite runs against the in-memory layer and against a real kube-apiserver (with the ImageRepository
 * CRD from config/crd/ installed and, for garbage collection, kube-controller-manager's garbage collector).
 *
 * Every test works in namespaces of its own from `freshNamespace`, so tests are independent on a shared
 * cluster, and every wait is bounded.
 *
 * Where a real apiserver may legitimately differ from the in-memory one, the test accepts both and says why:
 * - garbage collection is asynchronous on a cluster (kube-controller-manager), synchronous in memory: polled;
 * - a watch from an ancient resourceVersion is Gone in memory once the bounded history has moved past it,
 *   while a real apiserver serves it from etcd until compaction (every 5 minutes; kube-apiserver 1.35
 *   replayed from "1" on a young cluster), so it may replay instead: either is accepted.
 *
 * Run against a cluster like this (the suite passes against kube-apiserver 1.35 + kube-controller-manager):
 *
 *   kubernetesContract("Kubernetes contract: live", () => ({
 *     layer: KubernetesLive.layer({ kubeconfig: kubeconfigPath() }).pipe(Layer.orDie),
 *     freshNamespace // creates a Namespace object, e.g. test/cluster/support.ts
 *   }))
 */
import { assert, layer } from "@effect/vitest"
import { Chunk, Data, Duration, Effect, Exit, type Layer, Option, Schedule, Schema, type Scope, Stream } from "effect"
import * as ImageRepositoryDomain from "../../src/domain/ImageRepository.ts"
import { type ObjectMeta, ObjectMeta as ObjectMetaSchema } from "../../src/domain/ObjectMeta.ts"
import type { Secret as SecretType } from "../../src/domain/Secret.ts"
import { ServiceAccount as ServiceAccountSchema } from "../../src/domain/ServiceAccount.ts"
import { Kubernetes, type WatchEvent } from "../../src/services/Kubernetes.ts"
import type { KubernetesError } from "../../src/services/KubernetesError.ts"
import { ImageRepository, resourceKind, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"

/** A kind no cluster serves: the in-memory layer is told so (`unserved`), a real apiserver has no CRD for it. */
export const UnservedKind = resourceKind({
  group: "contract.example.com",
  version: "v1",
  kind: "Widget",
  plural: "widgets",
  statusSubresource: false,
  schema: Schema.Struct({ metadata: ObjectMetaSchema })
})

/** A resource no CRD defines in a group/version that is served (the ImageRepository's). */
export const UnservedInServedGroup = resourceKind({ ...UnservedKind, group: ImageRepository.group, version: ImageRepository.version })

export interface ContractEnv {
  /** Provides the `Kubernetes` under test; built once for the whole suite. */
  readonly layer: Layer.Layer<Kubernetes, unknown>
  /** A namespace no other test uses, created if the backend needs namespaces to exist. */
  readonly freshNamespace: Effect.Effect<string, unknown, Kubernetes | Scope.Scope>
  /** How long asynchronous effects (garbage collection) may take. Default 30 seconds. */
  readonly eventually?: Duration.DurationInput
}

type Labelled = Record<string, string>

/** How long a watch may take to deliver an event that is already committed. */
const watchTimeout = Duration.seconds(10)

/**
 * A ServiceAccount as a client that models more of it than the programs do: writing
 * `automountServiceAccountToken` through it shows whether the programs' narrower writes keep the field.
 */
const WideServiceAccount = resourceKind({
  ...ServiceAccount,
  schema: Schema.Struct({
    ...ServiceAccountSchema.fields,
    automountServiceAccountToken: Schema.optional(Schema.Boolean)
  })
})

/** The ImageRepository as the CRD defines it: status.credentials also carries pull credentials the domain does not model. */
const WideImageRepository = resourceKind({
  ...ImageRepository,
  schema: Schema.Struct({
    ...ImageRepositoryDomain.ImageRepository.fields,
    status: Schema.optional(
      Schema.Struct({
        ...ImageRepositoryDomain.ImageRepositoryStatus.fields,
        credentials: Schema.optional(
          Schema.Struct({
            ...ImageRepositoryDomain.CredentialsStatus.fields,
            "pull-secret": Schema.optional(Schema.String)
          })
        )
      })
    )
  })
})

const imageRepository = (
  namespace: string,
  name: string,
  extra: Partial<ObjectMeta> = {}
): ImageRepositoryDomain.ImageRepository => ({
  apiVersion: ImageRepositoryDomain.apiVersion,
  kind: ImageRepositoryDomain.kind,
  metadata: { name, namespace, ...extra },
  spec: { image: { visibility: "public" } }
})

const secret = (namespace: string, name: string, extra: Partial<ObjectMeta> = {}): SecretType => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace, ...extra },
  type: "Opaque",
  data: { token: "c2VjcmV0" }
})

const rfc3339Seconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

const errorTagOf = <A>(exit: Exit.Exit<A, KubernetesError>): string =>
  Exit.isSuccess(exit)
    ? "success"
    : Option.match(Exit.causeOption(exit).pipe(Option.flatMap((cause) => Option.fromNullable(cause))), {
      onNone: () => "interrupted",
      onSome: (cause) => (cause._tag === "Fail" ? cause.error._tag : `cause ${cause._tag}`)
    })

const namesOf = <A extends { readonly metadata: ObjectMeta }>(items: ReadonlyArray<A>): ReadonlyArray<string> =>
  items.map((o) => o.metadata.name).sort()

const summary = <A extends { readonly metadata: ObjectMeta }>(events: Chunk.Chunk<WatchEvent<A>>) =>
  Chunk.toReadonlyArray(events).map((e) => (e.type === "BOOKMARK" ? "BOOKMARK" : `${e.type} ${e.object.metadata.name}`))

class NotYet extends Data.TaggedError("NotYet")<{ readonly detail: string }> {}

/** Retries `check` (which fails with NotYet until the condition holds) every 200 ms, for at most `within`. */
const eventually = <A, E, R>(within: Duration.DurationInput, check: Effect.Effect<A, E | NotYet, R>) =>
  check.pipe(
    Effect.retry({
      while: (e) => e instanceof NotYet,
      schedule: Schedule.spaced("200 millis").pipe(Schedule.upTo(within))
    })
  )

/** Collects `n` events from a watch, or fails if they do not come within the watch timeout. */
const takeEvents = <A extends { readonly metadata: ObjectMeta }>(
  stream: Stream.Stream<WatchEvent<A>, KubernetesError>,
  n: number
) =>
  stream.pipe(
    Stream.filter((e) => e.type !== "BOOKMARK"),
    Stream.take(n),
    Stream.runCollect,
    Effect.timeoutFail({ duration: watchTimeout, onTimeout: () => new NotYet({ detail: `fewer than ${n} watch events` }) })
  )

/** Registers the contract suite for one backend. */
export const kubernetesContract = (name: string, makeEnv: () => ContractEnv): void => {
  const env = makeEnv()
  const within = env.eventually ?? Duration.seconds(30)
  const fresh = env.freshNamespace.pipe(Effect.orDie)
  const testTimeout = Duration.toMillis(within) + 30_000

  // Live services: the polling and watch timeouts run on the real clock, as a real apiserver needs.
  layer(env.layer, { excludeTestServices: true, timeout: "120 seconds" })(name, (it) => {
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

    it.scoped("watch from a list's resourceVersion sees ADDED, MODIFIED, DELETED in order", () =>
      Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const namespace = yield* fresh
        const other = yield* fresh
        const { resourceVersion } = yield* k8s.list(Secret, { namespace })
        yield* k8s.create(Secret, secret(other, "elsewhere"))
        yield* k8s.create(Secret, secret(namespace, "w"))
        yield* k8s.patch(Secret, { namespace, name: "w" }, { metadata: { labels: { step: "2" } } })
        yield* k8s.delete(Secret, { namespace, name: "w" })
        const events = yield* takeEvents(k8s.watch(Secret, { namespace, resourceVersion }), 3)
        assert.deepStrictEqual(summary(events), ["ADDED w", "MODIFIED w", "DELETED w"])
        const modified = Chunk.unsafeGet(events, 1)
        assert.strictEqual(modified.type === "MODIFIED" ? modified.object.metadata.labels?.["step"] : undefined, "2")
      }))

    it.scoped("watch follows writes made after it started, filtered by label selector", () =>
      Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const namespace = yield* fresh
        const { resourceVersion } = yield* k8s.list(ImageRepository, { namespace })
        const watching = yield* Effect.fork(
          takeEvents(k8s.watch(ImageRepository, { namespace, resourceVersion, labelSelector: "watched=yes" }), 4)
        )
        yield* k8s.create(ImageRepository, imageRepository(namespace, "ignored"))
        yield* k8s.create(ImageRepository, imageRepository(namespace, "seen", { labels: { watched: "yes" } }))
        yield* k8s.patch(ImageRepository, { namespace, name: "seen" }, { spec: { image: { visibility: "private" } } })
        yield* k8s.patch(ImageRepository, { namespace, name: "seen" }, { metadata: { labels: { watched: "no" } } })
        yield* k8s.patch(ImageRepository, { namespace, name: "ignored" }, { metadata: { labels: { watched: "yes" } } })
        const events = yield* watching
        assert.deepStrictEqual(summary(events), ["ADDED seen", "MODIFIED seen", "DELETED seen", "ADDED ignored"])
        const left = Chunk.unsafeGet(events, 2)
        assert.strictEqual(
          left.type === "DELETED" ? left.object.metadata.labels?.["watched"] : undefined,
          "yes",
          "leaving the selector reads as a deletion of the last state the watch could see"
        )
      }))

    it.scoped("watch from an ancient resourceVersion is Gone or replays; never another error", () =>
      Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const namespace = yield* fresh
        const watching = yield* Effect.fork(
          Effect.exit(
            k8s.watch(Secret, { namespace, resourceVersion: "1" }).pipe(
              Stream.filter((e) => e.type === "ADDED" && e.object.metadata.name === "marker"),
              Stream.take(1),
              Stream.runCollect,
              Effect.timeoutFail({ duration: watchTimeout, onTimeout: () => new NotYet({ detail: "no marker" }) })
            )
          )
        )
        yield* k8s.create(Secret, secret(namespace, "marker"))
        const exit = yield* watching
        const outcome = Exit.isSuccess(exit) ? "replayed" : errorTagOf(exit as Exit.Exit<unknown, KubernetesError>)
        assert.include(["replayed", "KubernetesGone"], outcome)
      }))
  })
}
