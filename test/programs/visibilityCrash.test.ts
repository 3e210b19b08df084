/**
 * A pass killed between Quay's visibility change and the status write that records it (a SIGKILL, a lost Lease):
 * status still says the old visibility while Quay has the new one. If the spec is then edited back to the old
 * value, spec equals status and a pass that trusted status would leave Quay as it is. Each test "crashes" a pass
 * right after Quay answered the change, then checks what the next passes make of it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { Visibility } from "../../src/domain/Visibility.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { Quay } from "../../src/services/Quay.ts"
import { spyOnQuay, withQuay } from "./QuaySpy.ts"
import {
  applyImageRepository,
  converge,
  editImageRepository,
  mustGetImageRepository,
  namespace,
  quaySnapshot,
  ref,
  world
} from "./World.ts"

/** One reconcile of `a` that dies as soon as Quay has changed the repository's visibility. */
const passKilledAfterVisibilityChange = reconcileImageRepository(ref("a")).pipe(
  withQuay((operation, _args, call) =>
    operation === "changeVisibility" ? Effect.andThen(call, Effect.dieMessage("SIGKILL")) : call
  ),
  Effect.exit
)

const visibilityInQuay = Effect.map(
  quaySnapshot,
  (snapshot) => snapshot.repositories.find((r) => r.name === `${namespace}/a`)?.visibility
)

const setVisibility = (visibility: Visibility) => editImageRepository("a", { spec: { image: { visibility } } })

describe("a pass killed between Quay's visibility change and the status write", () => {
  it.effect("then the spec edited back: Quay follows the spec, not the status left behind", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("a", { image: { visibility: "public" } })
      yield* converge("a")
      yield* setVisibility("private")
      const killed = yield* passKilledAfterVisibilityChange
      expect(Exit.isFailure(killed)).toBe(true)
      expect(yield* visibilityInQuay).toBe("private")
      yield* setVisibility("public")
      yield* converge("a")
      expect(yield* visibilityInQuay).toBe("public")
      expect((yield* mustGetImageRepository("a")).status?.image?.visibility).toBe("public")
    }).pipe(Effect.provide(world())))

  it.effect("and the spec left as it was: the change is recorded, Quay keeps it", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("a", { image: { visibility: "private" } })
      yield* converge("a")
      yield* setVisibility("public")
      yield* passKilledAfterVisibilityChange
      yield* converge("a")
      expect(yield* visibilityInQuay).toBe("public")
      expect((yield* mustGetImageRepository("a")).status?.image?.visibility).toBe("public")
    }).pipe(Effect.provide(world())))

  it.effect("a change costs the read that confirms the repository and the change; a converged object no Quay call", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("a", { image: { visibility: "public" } })
      yield* converge("a")
      const spy = yield* spyOnQuay
      yield* setVisibility("private")
      yield* converge("a").pipe(Effect.provideService(Quay, spy.quay))
      expect(spy.calls.map((call) => call.split(" ")[0])).toEqual(["getRepository", "changeVisibility"])
      const idle = yield* spyOnQuay
      yield* reconcileImageRepository(ref("a")).pipe(Effect.provideService(Quay, idle.quay))
      expect(idle.calls).toEqual([])
    }).pipe(Effect.provide(world())))
})
