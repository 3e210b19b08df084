/** Review findings of issue 9: a one-shot flag acts once, a dropped status write is logged, deletion costs only what can change something. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import {
  applyImageRepository,
  converge,
  deleteImageRepository,
  editImageRepository,
  getImageRepository,
  mustGetImageRepository,
  namespace,
  reconcileThrough,
  ref,
  secretGrants,
  specWrite,
  statusWrite,
  unavailable,
  world
} from "./World.ts"

const rotations = Effect.flatMap(QuayInMemory.QuayControl, (q) => q.calls).pipe(
  Effect.map((calls) => calls.byOperation.regenerateRobotToken ?? 0)
)

const clearingTheFlag = specWrite(`"regenerate-token":null`)

describe("regenerate-token is one-shot: it rotates exactly once", () => {
  const cases = [
    ["a label edit (generation unchanged)", editImageRepository("t", { metadata: { labels: { team: "a" } } })],
    ["a spec edit (generation moved on)", editImageRepository("t", { spec: { image: { visibility: "private" } } })]
  ] as const
  for (const [what, edit] of cases) {
    it.effect(`when the write clearing the flag conflicts with ${what}`, () =>
      Effect.gen(function*() {
        yield* applyImageRepository("t")
        yield* converge("t")
        yield* editImageRepository("t", { spec: { credentials: { "regenerate-token": true } } })
        expect((yield* reconcileThrough("t", clearingTheFlag, edit))._tag).toBe("Left")
        yield* converge("t")
        expect(yield* rotations).toBe(1)
        const ir = yield* mustGetImageRepository("t")
        expect(ir.spec?.credentials?.["regenerate-token"]).toBeUndefined()
        expect(yield* secretGrants(ir, `${namespace}/t`, "push")).toBe(true)
      }).pipe(Effect.provide(world())))
  }

  it.effect("when the write clearing the flag fails outright, and again when it is asked for once more", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("t")
      yield* converge("t")
      yield* editImageRepository("t", { spec: { credentials: { "regenerate-token": true } } })
      expect((yield* reconcileThrough("t", clearingTheFlag, unavailable))._tag).toBe("Left")
      yield* converge("t")
      expect(yield* rotations).toBe(1)
      // A new request after the flag was cleared is a new rotation.
      yield* editImageRepository("t", { spec: { credentials: { "regenerate-token": true } } })
      yield* converge("t")
      expect(yield* rotations).toBe(2)
      expect(yield* secretGrants(yield* mustGetImageRepository("t"), `${namespace}/t`, "push")).toBe(true)
    }).pipe(Effect.provide(world())))
})

describe("a status message that cannot be written", () => {
  it.effect("is logged, not dropped in silence", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
      })
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* applyImageRepository("m")
      // The claim (spec write) fails, then so does the status write that would show why.
      yield* kube.failNext(2, { verbs: ["patch"] })
      const result = yield* Effect.either(
        reconcileImageRepository(ref("m")).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      )
      expect(result._tag).toBe("Left")
      expect(lines.filter((l) => l.startsWith("WARN") && l.includes("status message"))).toHaveLength(1)
    }).pipe(Effect.provide(world())))
})

describe("deletion costs only the calls that can change something", () => {
  it.effect("an object that failed before anything existed in Quay is deleted with no Quay call", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("p", { image: { visibility: "private" } })
      yield* converge("p")
      expect((yield* mustGetImageRepository("p")).status?.state).toBe("failed")
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.resetCalls
      yield* deleteImageRepository("p")
      yield* converge("p")
      expect(yield* getImageRepository("p")).toBeUndefined()
      expect((yield* quay.calls).total).toBe(0)
    }).pipe(Effect.provide(world("free"))))

  it.effect("so is one whose provisioning never reached Quay", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("q")
      const quay = yield* QuayInMemory.QuayControl
      // The finalizer is written; recording the target (the first status write) fails, so no Quay call was made.
      expect((yield* reconcileThrough("q", statusWrite, unavailable))._tag).toBe("Left")
      const claimed = yield* mustGetImageRepository("q")
      expect(claimed.metadata.finalizers).toContain("appstudio.openshift.io/image-repository")
      expect(claimed.status?.image).toBeUndefined()
      yield* quay.resetCalls
      yield* deleteImageRepository("q")
      yield* converge("q")
      expect(yield* getImageRepository("q")).toBeUndefined()
      expect((yield* quay.calls).total).toBe(0)
    }).pipe(Effect.provide(world())))
})
