import { afterAll, assert, describe, it } from "@effect/vitest"
import { KubeConfig } from "@kubernetes/client-node"
import { Chunk, Effect, Exit, Fiber, Option, Schedule, Schema, Stream, Tracer } from "effect"
import type { ImageRepository as ImageRepositoryType } from "../../src/domain/ImageRepository.ts"
import { ObjectMeta } from "../../src/domain/ObjectMeta.ts"
import type { Secret as SecretType } from "../../src/domain/Secret.ts"
import { Kubernetes, type WatchEvent } from "../../src/services/Kubernetes.ts"
import type { KubernetesError } from "../../src/services/KubernetesError.ts"
import { ImageRepository, resourceKind, Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { compactEtcd, ConfigMap, deleteTestNamespaces, freshNamespace, kubeconfigPath, liveLayer } from "./support.ts"

const live = <A, E>(self: Effect.Effect<A, E, Kubernetes>) => Effect.provide(self, liveLayer())

afterAll(() => Effect.runPromise(live(deleteTestNamespaces)))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined

const tagOf = <A>(exit: Exit.Exit<A, KubernetesError>): string | undefined => failureOf(exit)?._tag

const secret = (namespace: string, name: string, extra: Partial<SecretType> = {}): SecretType => ({
  metadata: { name, namespace },
  type: "Opaque",
  data: { token: Buffer.from("not-a-real-token").toString("base64") },
  ...extra
})

const imageRepository = (namespace: string, name: string, extra: Partial<ImageRepositoryType> = {}): ImageRepositoryType => ({
  metadata: { name, namespace },
  spec: { image: { name: `${namespace}/${name}`, visibility: "public" } },
  ...extra
})

const summary = <A extends { readonly metadata: { readonly name: string } }>(events: Iterable<WatchEvent<A>>) =>
  [...events].flatMap((e) => (e.type === "BOOKMARK" ? [] : [`${e.type} ${e.object.metadata.name}`]))

/** Polls until `check` holds, every 200 ms for at most `attempts` tries. */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, attempts = 100) =>
  check.pipe(
    Effect.filterOrFail((ok) => ok, () => "not yet" as const),
    Effect.retry({ schedule: Schedule.spaced("200 millis"), times: attempts })
  )

describe("KubernetesLive against a real kube-apiserver", () => {
  describe("core kinds", () => {
    it.live("Secret: create, get, list by label, replace, delete", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const created = yield* k8s.create(Secret, secret(ns, "push", { metadata: { name: "push", namespace: ns, labels: { app: "a" } } }))
        assert.isString(created.metadata.uid)
        assert.isString(created.metadata.resourceVersion)
        assert.strictEqual(created.metadata.namespace, ns)
        yield* k8s.create(Secret, secret(ns, "other", { metadata: { name: "other", namespace: ns, labels: { app: "b" } } }))

        const got = yield* k8s.get(Secret, { namespace: ns, name: "push" })
        assert.deepStrictEqual(Option.map(got, (s) => s.data), Option.some({ token: Buffer.from("not-a-real-token").toString("base64") }))
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, { namespace: ns, name: "absent" })))

        const byLabel = yield* k8s.list(Secret, { namespace: ns, labelSelector: "app=a" })
        assert.deepStrictEqual(byLabel.items.map((s) => s.metadata.name), ["push"])
        assert.isTrue(Number(byLabel.resourceVersion) > 0)
        const all = yield* k8s.list(Secret, { namespace: ns })
        assert.deepStrictEqual(all.items.map((s) => s.metadata.name).sort(), ["other", "push"])

        const replaced = yield* k8s.replace(Secret, { ...created, data: { token: "bmV3" } })
        assert.deepStrictEqual(replaced.data, { token: "bmV3" })
        assert.notStrictEqual(replaced.metadata.resourceVersion, created.metadata.resourceVersion)

        yield* k8s.delete(Secret, { namespace: ns, name: "push" })
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, { namespace: ns, name: "push" })))
        const again = yield* Effect.exit(k8s.delete(Secret, { namespace: ns, name: "push" }))
        assert.strictEqual(tagOf(again), "KubernetesNotFound")
      })))

    it.live("list without a namespace spans all namespaces", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const [a, b] = yield* Effect.all([freshNamespace, freshNamespace])
        const label = `run-${a}`
        yield* k8s.create(Secret, secret(a, "s", { metadata: { name: "s", namespace: a, labels: { run: label } } }))
        yield* k8s.create(Secret, secret(b, "s", { metadata: { name: "s", namespace: b, labels: { run: label } } }))
        const { items } = yield* k8s.list(Secret, { labelSelector: `run=${label}` })
        assert.deepStrictEqual(items.map((s) => s.metadata.namespace).sort(), [a, b].sort())
      })))

    it.live("create of a taken name is a conflict; an invalid name is invalid", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        yield* k8s.create(Secret, secret(ns, "taken"))
        assert.strictEqual(tagOf(yield* Effect.exit(k8s.create(Secret, secret(ns, "taken")))), "KubernetesConflict")
        assert.strictEqual(tagOf(yield* Effect.exit(k8s.create(Secret, secret(ns, "Not_A_Name")))), "KubernetesInvalid")
      })))

    it.live("merge patch replaces lists wholesale (a strategic merge patch would have merged ServiceAccount.secrets)", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        yield* k8s.create(ServiceAccount, {
          metadata: { name: "pipeline", namespace: ns, annotations: { keep: "me", drop: "me" } },
          secrets: [{ name: "a" }, { name: "b" }]
        })
        const patched = yield* k8s.patch(ServiceAccount, { namespace: ns, name: "pipeline" }, {
          metadata: { annotations: { drop: null } },
          secrets: [{ name: "c" }],
          imagePullSecrets: [{ name: "c" }]
        })
        assert.deepStrictEqual(patched.secrets, [{ name: "c" }])
        assert.deepStrictEqual(patched.imagePullSecrets, [{ name: "c" }])
        assert.deepStrictEqual(patched.metadata.annotations, { keep: "me" })
      })))

    it.live("a stale resourceVersion in a patch or a replace is a conflict", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const first = yield* k8s.create(ServiceAccount, { metadata: { name: "sa", namespace: ns } })
        yield* k8s.patch(ServiceAccount, { namespace: ns, name: "sa" }, { secrets: [{ name: "x" }] })
        const stalePatch = yield* Effect.exit(
          k8s.patch(ServiceAccount, { namespace: ns, name: "sa" }, {
            metadata: { resourceVersion: first.metadata.resourceVersion ?? "" },
            secrets: [{ name: "y" }]
          })
        )
        assert.strictEqual(tagOf(stalePatch), "KubernetesConflict")
        const staleReplace = yield* Effect.exit(k8s.replace(ServiceAccount, { ...first, secrets: [{ name: "z" }] }))
        assert.strictEqual(tagOf(staleReplace), "KubernetesConflict")
        const current = yield* k8s.get(ServiceAccount, { namespace: ns, name: "sa" })
        assert.deepStrictEqual(Option.map(current, (sa) => sa.secrets), Option.some([{ name: "x" }]))
      })))

    it.live("delete preconditions: a different uid or resourceVersion is a conflict and deletes nothing", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const s = yield* k8s.create(Secret, secret(ns, "guarded"))
        const ref = { namespace: ns, name: "guarded" }
        const wrongUid = yield* Effect.exit(k8s.delete(Secret, ref, { preconditions: { uid: "00000000-0000-0000-0000-000000000000" } }))
        assert.strictEqual(tagOf(wrongUid), "KubernetesConflict")
        yield* k8s.patch(Secret, ref, { metadata: { labels: { moved: "on" } } })
        const staleRv = yield* Effect.exit(k8s.delete(Secret, ref, { preconditions: { resourceVersion: s.metadata.resourceVersion ?? "" } }))
        assert.strictEqual(tagOf(staleRv), "KubernetesConflict")
        assert.isTrue(Option.isSome(yield* k8s.get(Secret, ref)))
        yield* k8s.delete(Secret, ref, { preconditions: { uid: s.metadata.uid ?? "" } })
        assert.isTrue(Option.isNone(yield* k8s.get(Secret, ref)))
      })))
  })

  describe("ImageRepository (CRD)", () => {
    it.live("status goes through the status subresource only; spec changes bump generation", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const ref = { namespace: ns, name: "repo" }
        const created = yield* k8s.create(ImageRepository, imageRepository(ns, "repo", { status: { state: "ready" } }))
        assert.strictEqual(created.status, undefined, "status is dropped on create")
        assert.strictEqual(created.metadata.generation, 1)
        assert.strictEqual(created.apiVersion, "appstudio.redhat.com/v1alpha1")

        const viaMain = yield* k8s.patch(ImageRepository, ref, { status: { state: "failed" } })
        assert.strictEqual(viaMain.status, undefined, "the main resource ignores status")

        const withStatus = yield* k8s.patch(ImageRepository, ref, {
          status: {
            state: "ready",
            image: { url: `quay.example/org/${ns}/repo`, visibility: "public" },
            credentials: { "push-secret": "repo-image-push", "pull-secret": "repo-image-pull" },
            conditions: [{ type: "Ready", status: "True", reason: "Provisioned", message: "ok", lastTransitionTime: "2026-01-01T00:00:00Z" }],
            observedGeneration: 1
          },
          spec: { image: { visibility: "private" } }
        }, { subresource: "status" })
        assert.strictEqual(withStatus.status?.state, "ready")
        assert.strictEqual(withStatus.status?.credentials?.["push-secret"], "repo-image-push")
        assert.strictEqual(withStatus.spec?.image?.visibility, "public", "the status subresource ignores spec")
        assert.strictEqual(withStatus.metadata.generation, 1)

        const specChange = yield* k8s.patch(ImageRepository, ref, { spec: { image: { visibility: "private" } } })
        assert.strictEqual(specChange.metadata.generation, 2)
        assert.strictEqual(specChange.status?.state, "ready")

        const replacedStatus = yield* k8s.replace(ImageRepository, { ...specChange, status: { ...specChange.status, message: "hello" } }, {
          subresource: "status"
        })
        assert.strictEqual(replacedStatus.status?.message, "hello")
      })))

    it.live("the CRD schema refuses a bad visibility or repository name", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const badVisibility = yield* Effect.exit(
          k8s.create(ImageRepository, imageRepository(ns, "a", { spec: { image: { visibility: "secret" } } }))
        )
        assert.strictEqual(tagOf(badVisibility), "KubernetesInvalid")
        assert.include(failureOf(badVisibility)?.message ?? "", "spec.image.visibility")
        const badName = yield* Effect.exit(
          k8s.create(ImageRepository, imageRepository(ns, "b", { spec: { image: { name: "Upper/Case" } } }))
        )
        assert.strictEqual(tagOf(badName), "KubernetesInvalid")
        const ok = yield* k8s.create(ImageRepository, imageRepository(ns, "c", { spec: { image: { name: "team/app.v2_x-y" } } }))
        assert.strictEqual(ok.spec?.image?.name, "team/app.v2_x-y")
      })))

    it.live("finalizers keep a deleted object until they are removed", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const ref = { namespace: ns, name: "held" }
        yield* k8s.create(ImageRepository, imageRepository(ns, "held", { metadata: { ...ref, finalizers: ["appstudio.openshift.io/image-repository"] } }))
        yield* k8s.delete(ImageRepository, ref)
        const deleting = yield* k8s.get(ImageRepository, ref)
        assert.isTrue(Option.isSome(deleting) && deleting.value.metadata.deletionTimestamp !== undefined)
        yield* k8s.patch(ImageRepository, ref, { metadata: { finalizers: null } })
        assert.isTrue(Option.isNone(yield* k8s.get(ImageRepository, ref)))
      })))

    it.live("kube-controller-manager garbage-collects a Secret owned by a deleted ImageRepository", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const owner = yield* k8s.create(ImageRepository, imageRepository(ns, "owner"))
        const owned = yield* k8s.create(Secret, secret(ns, "owner-image-push", {
          metadata: {
            name: "owner-image-push",
            namespace: ns,
            ownerReferences: [{
              apiVersion: "appstudio.redhat.com/v1alpha1",
              kind: "ImageRepository",
              name: "owner",
              uid: owner.metadata.uid ?? "",
              controller: true,
              blockOwnerDeletion: true
            }]
          }
        }))
        assert.strictEqual(owned.metadata.ownerReferences?.[0]?.uid, owner.metadata.uid)
        yield* k8s.create(Secret, secret(ns, "unowned"))
        yield* k8s.delete(ImageRepository, { namespace: ns, name: "owner" })
        yield* eventually(Effect.map(k8s.get(Secret, { namespace: ns, name: "owner-image-push" }), Option.isNone))
        assert.isTrue(Option.isSome(yield* k8s.get(Secret, { namespace: ns, name: "unowned" })))
      })))
  })

  describe("decoding", () => {
    // A schema stricter than the CRD: every stored ImageRepository without spec.mustExist fails to decode.
    const Strict = resourceKind({
      ...ImageRepository,
      schema: Schema.Struct({ metadata: ObjectMeta, spec: Schema.Struct({ mustExist: Schema.Number }) })
    })

    it.live("an object that does not decode is KubernetesInvalid on get, and skipped by list", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        yield* k8s.create(ImageRepository, imageRepository(ns, "plain"))
        const got = yield* Effect.exit(k8s.get(Strict, { namespace: ns, name: "plain" }))
        assert.strictEqual(tagOf(got), "KubernetesInvalid")
        assert.include(failureOf(got)?.message ?? "", "mustExist")
        const listed = yield* k8s.list(Strict, { namespace: ns })
        assert.deepStrictEqual(listed.items, [])
      })))
  })

  describe("watch", () => {
    it.scopedLive("follows creates, updates and deletes from a list's resourceVersion, filtered by label", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        yield* k8s.create(Secret, secret(ns, "before", { metadata: { name: "before", namespace: ns, labels: { w: "1" } } }))
        const { resourceVersion } = yield* k8s.list(Secret, { namespace: ns })
        const fiber = yield* k8s.watch(Secret, { namespace: ns, resourceVersion, labelSelector: "w=1" }).pipe(
          Stream.filter((e) => e.type !== "BOOKMARK"),
          Stream.take(3),
          Stream.runCollect,
          Effect.fork
        )
        yield* k8s.create(Secret, secret(ns, "ignored"))
        yield* k8s.create(Secret, secret(ns, "a", { metadata: { name: "a", namespace: ns, labels: { w: "1" } } }))
        yield* k8s.patch(Secret, { namespace: ns, name: "a" }, { data: { token: "Yg==" } })
        yield* k8s.delete(Secret, { namespace: ns, name: "a" })
        const events = yield* Fiber.join(fiber).pipe(Effect.timeout("20 seconds"))
        assert.deepStrictEqual(summary(Chunk.toReadonlyArray(events)), ["ADDED a", "MODIFIED a", "DELETED a"])
      })))

    it.scopedLive("without a resourceVersion starts from now: existing objects are not replayed", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        yield* k8s.create(ImageRepository, imageRepository(ns, "old"))
        const fiber = yield* k8s.watch(ImageRepository, { namespace: ns }).pipe(
          Stream.filter((e) => e.type !== "BOOKMARK"),
          Stream.take(1),
          Stream.runCollect,
          Effect.fork
        )
        // The watch opens asynchronously; keep creating until one lands after it.
        const events = yield* Effect.gen(function*() {
          for (let i = 0; i < 50; i++) {
            yield* k8s.create(ImageRepository, imageRepository(ns, `new-${i}`))
            const done = yield* Fiber.poll(fiber)
            if (Option.isSome(done)) break
            yield* Effect.sleep("100 millis")
          }
          return yield* Fiber.join(fiber).pipe(Effect.timeout("20 seconds"))
        })
        const [first] = summary(Chunk.toReadonlyArray(events))
        assert.match(first ?? "", /^ADDED new-\d+$/)
      })))

    it.live("a resourceVersion from before an etcd compaction is KubernetesGone; a relist recovers", () =>
      live(Effect.gen(function*() {
        const k8s = yield* Kubernetes
        const ns = yield* freshNamespace
        const before = yield* k8s.create(ConfigMap, { metadata: { name: "before", namespace: ns } })
        yield* k8s.patch(ConfigMap, { namespace: ns, name: "before" }, { data: { moved: "on" } })
        // Compact past the first event after `before`: a watch starting exactly at the compaction revision is
        // still served, and then fails with a 500 because that event's previous value is gone.
        yield* k8s.create(ConfigMap, { metadata: { name: "bump", namespace: ns } })
        yield* compactEtcd
        const gone = yield* Effect.exit(
          k8s.watch(ConfigMap, { namespace: ns, resourceVersion: before.metadata.resourceVersion ?? "" }).pipe(
            Stream.take(1),
            Stream.runDrain
          )
        )
        assert.strictEqual(tagOf(gone), "KubernetesGone", String(failureOf(gone)))
        const relist = yield* k8s.list(ConfigMap, { namespace: ns })
        // kube-root-ca.crt is the root-ca-cert-publisher's, in every namespace.
        assert.deepStrictEqual(relist.items.map((c) => c.metadata.name).sort(), ["before", "bump", "kube-root-ca.crt"])
        const fiber = yield* k8s.watch(ConfigMap, { namespace: ns, resourceVersion: relist.resourceVersion }).pipe(
          Stream.filter((e) => e.type !== "BOOKMARK"),
          Stream.take(1),
          Stream.runCollect,
          Effect.fork
        )
        yield* k8s.create(ConfigMap, { metadata: { name: "after-relist", namespace: ns } })
        const events = yield* Fiber.join(fiber).pipe(Effect.timeout("20 seconds"))
        assert.deepStrictEqual(summary(Chunk.toReadonlyArray(events)), ["ADDED after-relist"])
      })))
  })

  describe("tracing", () => {
    it.live("every call is a Kubernetes.<operation> span, and no span carries the token", () =>
      Effect.gen(function*() {
        const native = yield* Effect.tracer
        const spans: Array<Tracer.Span> = []
        const recording = Tracer.make({
          span: (name, parent, context, links, startTime, kind, options) => {
            const span = native.span(name, parent, context, links, startTime, kind, options)
            spans.push(span)
            return span
          },
          context: native.context
        })
        yield* live(Effect.gen(function*() {
          const k8s = yield* Kubernetes
          const ns = yield* freshNamespace
          yield* k8s.create(ImageRepository, imageRepository(ns, "traced"))
          yield* k8s.patch(ImageRepository, { namespace: ns, name: "traced" }, { status: { state: "ready" } }, { subresource: "status" })
          yield* k8s.get(ImageRepository, { namespace: ns, name: "traced" })
          yield* k8s.list(ImageRepository, { namespace: ns })
          yield* k8s.delete(ImageRepository, { namespace: ns, name: "traced" })
        })).pipe(Effect.withTracer(recording))
        const names = spans.map((s) => s.name)
        for (const op of ["create", "patchStatus", "get", "list", "delete"]) assert.include(names, `Kubernetes.${op}`)
        // Each call's span records the HTTP exchange itself (method, status), as an HTTP client span would.
        const get = spans.find((s) => s.name === "Kubernetes.get")
        assert.strictEqual(get?.attributes.get("k8s.name"), "traced")
        assert.strictEqual(get?.attributes.get("http.request.method"), "GET")
        assert.strictEqual(get?.attributes.get("http.response.status_code"), 200)
        const deleted = spans.find((s) => s.name === "Kubernetes.delete")
        assert.strictEqual(deleted?.attributes.get("http.request.method"), "DELETE")
        const kc = new KubeConfig()
        kc.loadFromFile(kubeconfigPath())
        const token = kc.getCurrentUser()?.token ?? ""
        assert.isAbove(token.length, 10)
        for (const span of spans) {
          for (const value of span.attributes.values()) assert.notInclude(String(value), token, `span ${span.name}`)
        }
      }))
  })
})
