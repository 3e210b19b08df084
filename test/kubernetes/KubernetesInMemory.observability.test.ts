/** What the in-memory apiserver reveals about its use: spans, call counts and snapshots. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Tracer } from "effect"
import { ImageRepository, Secret } from "../../src/services/ResourceKind.ts"
import { ns, imageRepository, secret, setup, withStore } from "./inMemorySupport.ts"

describe("KubernetesInMemory", () => {
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
