import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref, Schedule, TestClock } from "effect"
import * as Supervisor from "../../src/runtime/Supervisor.ts"

describe("Supervisor", () => {
  it.effect("restarts a loop that fails or dies, after its backoff, until the loop ends by itself", () =>
    Effect.gen(function*() {
      const supervisor = yield* Supervisor.make({ backoff: Schedule.spaced("1 second") })
      const runs = yield* Ref.make(0)
      const loop = Effect.gen(function*() {
        const run = yield* Ref.updateAndGet(runs, (n) => n + 1)
        if (run === 1) return yield* Effect.fail("typed failure")
        if (run === 2) return yield* Effect.die(new Error("defect"))
      })
      const fiber = yield* Effect.fork(supervisor.supervise("loop", loop))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(yield* Ref.get(runs), 3)
      assert.strictEqual(yield* supervisor.restarts, 2)
      assert.deepStrictEqual(yield* supervisor.failed, [])
    }))

  it.effect("gives up on a loop that dies more than maxRestarts times within the window, and says why", () =>
    Effect.gen(function*() {
      const supervisor = yield* Supervisor.make({ maxRestarts: 2, window: "1 minute", backoff: Schedule.spaced("1 second") })
      const fiber = yield* Effect.fork(supervisor.supervise("informer Secret", Effect.die(new Error("boom"))))
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("1 second")
      const failed = yield* supervisor.failed
      assert.strictEqual(failed.length, 1)
      assert.include(failed[0] ?? "", "informer Secret died 3 times")
      assert.include(failed[0] ?? "", "boom")
      assert.isNull(fiber.unsafePoll(), "a loop given up on stays stopped; its owner's scope ends it")
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("deaths far apart never add up to giving up", () =>
    Effect.gen(function*() {
      const supervisor = yield* Supervisor.make({ maxRestarts: 1, window: "1 minute", backoff: Schedule.spaced("1 second") })
      const fiber = yield* Effect.fork(
        supervisor.supervise("worker", Effect.sleep("2 minutes").pipe(Effect.andThen(Effect.die(new Error("rare")))))
      )
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("2 minutes")
      assert.deepStrictEqual(yield* supervisor.failed, [])
      assert.isAtLeast(yield* supervisor.restarts, 3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("an interrupted loop is not restarted", () =>
    Effect.gen(function*() {
      const supervisor = yield* Supervisor.make()
      const fiber = yield* Effect.fork(supervisor.supervise("loop", Effect.never))
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(yield* supervisor.restarts, 0)
    }))
})
