import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import { orphanSweep } from "../../src/bin/controllers.ts"
import { repositoryDescription, robotDescription } from "../../src/domain/Ownership.ts"
import { robotShortName } from "../../src/domain/RobotName.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { Quay } from "../../src/services/Quay.ts"
import { quaySnapshot, world } from "../programs/World.ts"

const gone = { namespace: "test-ns", name: "gone", uid: "9d5ce2a4-0000-4000-8000-00000000dead" }

describe("the periodic orphan sweep (a leader task)", () => {
  it.effect("sweeps one interval after it starts, then every interval; a failed sweep waits for the next", () =>
    Effect.gen(function*() {
      const quay = yield* Quay
      const control = yield* QuayInMemory.QuayControl
      yield* quay.createRobot(robotShortName(gone, "push", quay.organization), robotDescription(gone))
      const task = orphanSweep({ interval: Duration.minutes(10) })
      const fiber = yield* Effect.fork(task.run)

      yield* TestClock.adjust("9 minutes")
      expect((yield* quaySnapshot).robots).toHaveLength(1)
      yield* TestClock.adjust("1 minute")
      expect((yield* quaySnapshot).robots).toEqual([])

      // Quay down at the next sweep: it fails, the task goes on, and the one after catches up.
      yield* quay.createRepository({ name: "test-ns/gone", visibility: "public", description: repositoryDescription(gone) })
      yield* control.injectFaults({ kind: "5xx", rate: 1 })
      yield* TestClock.adjust("10 minutes")
      expect((yield* quaySnapshot).repositories).toHaveLength(1)
      yield* control.clearFaults
      yield* TestClock.adjust("10 minutes")
      expect((yield* quaySnapshot).repositories).toEqual([])
      expect(fiber.unsafePoll()).toBeNull()
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(world())))
})
