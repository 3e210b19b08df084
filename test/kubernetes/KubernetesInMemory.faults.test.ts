/** Fault injection in the in-memory apiserver. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Stream } from "effect"
import { KubernetesConflict, KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import { Secret } from "../../src/services/ResourceKind.ts"
import { ns, secret, setup, withStore, settle, errorTag, failureOf, summary } from "./inMemorySupport.ts"

describe("KubernetesInMemory", () => {
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
})
