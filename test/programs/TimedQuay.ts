import { Effect, Fiber, Option, TestClock } from "effect"
import { Quay } from "../../src/services/Quay.ts"
import { makeRecorder, measure } from "../support/roundTrips.ts"
import { wrapQuay } from "./QuaySpy.ts"

/**
 * Runs `program` with a `Quay` whose every call takes one round trip (a second of the TestClock) and is written
 * down as it starts and ends; the clock is moved until the program is done. What overlaps shows in the record.
 */
export const measureRoundTrips = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const recorder = makeRecorder()
    const timed = wrapQuay(yield* Quay, (operation, _args, call) =>
      Effect.suspend(() => {
        const id = recorder.start(operation)
        return Effect.sleep("1 second").pipe(
          Effect.andThen(call),
          Effect.ensuring(Effect.sync(() => recorder.end(id, operation)))
        )
      }))
    const fiber = yield* Effect.fork(Effect.provideService(program, Quay, timed))
    for (let tick = 0; tick < 60 && Option.isNone(yield* Fiber.poll(fiber)); tick++) yield* TestClock.adjust("1 second")
    return { exit: yield* Fiber.await(fiber), ...measure(recorder.events) }
  })
