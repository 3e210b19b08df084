import { Cause, Effect, Exit, Option } from "effect"

/** The typed error an effect fails with; a success or a defect fails the test with a description instead. */
export const typedFailure = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<E, string> =>
  Effect.flatMap(Effect.exit(effect), (exit) =>
    Exit.isFailure(exit)
      ? Option.match(Cause.failureOption(exit.cause), {
        onNone: () => Effect.fail(`expected a typed failure, got ${Cause.pretty(exit.cause)}`),
        onSome: Effect.succeed
      })
      : Effect.fail("expected a failure, the call succeeded"))
