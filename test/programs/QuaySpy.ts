import { Effect } from "effect"
import { Quay } from "../../src/services/Quay.ts"
import type { QuayError } from "../../src/services/QuayError.ts"

type Call = (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>

/** A `Quay` whose every operation goes through `around`, which is given the operation's name, arguments and call. */
export const wrapQuay = (
  quay: Quay,
  around: (operation: string, args: ReadonlyArray<unknown>, call: Effect.Effect<unknown, unknown>) => Effect.Effect<unknown, unknown>
): Quay => {
  const wrapped: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(quay)) {
    wrapped[key] = typeof value !== "function"
      ? value
      : (...args: ReadonlyArray<unknown>) => around(key, args, Effect.suspend(() => (value as Call)(...args)))
  }
  return wrapped as unknown as Quay
}

/**
 * A `Quay` that writes down every call with its arguments before passing it on, so a test can say which Quay
 * objects a reconcile touched: "no call for the foreign object" is checked on the calls themselves.
 */
export const spyOnQuay = Effect.map(Quay, (quay) => {
  const calls: Array<string> = []
  const spied = wrapQuay(quay, (operation, args, call) => {
    calls.push(`${operation} ${JSON.stringify(args)}`)
    return call
  })
  return { quay: spied, calls }
})

/** The calls that name `thing` (a robot's short name, a repository): what a reconcile did to it. */
export const callsNaming = (calls: ReadonlyArray<string>, thing: string): ReadonlyArray<string> =>
  calls.filter((call) => call.includes(`"${thing}"`) || call.includes(`+${thing}"`))

/** Runs the effect with its `Quay` wrapped by `around` (see `wrapQuay`). */
export const withQuay = (
  around: (operation: string, args: ReadonlyArray<unknown>, call: Effect.Effect<unknown, unknown>) => Effect.Effect<unknown, unknown>
) =>
<A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Quay, (quay) => Effect.provideService(effect, Quay, wrapQuay(quay, around)))

/**
 * A `Quay` whose `operations` (all when absent) fail with `error` while `failing` says so, the rest passing through:
 * a revoked token, or a request Quay will never accept, without touching the in-memory Quay behind it.
 */
export const refuseQuay = (
  quay: Quay,
  error: QuayError,
  options: { readonly operations?: ReadonlyArray<string>; readonly failing?: () => boolean } = {}
): Quay => {
  const refused: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(quay)) {
    const applies = typeof value === "function" && (options.operations === undefined || options.operations.includes(key))
    refused[key] = !applies
      ? value
      : (...args: ReadonlyArray<unknown>) =>
        Effect.suspend(() =>
          (options.failing ?? (() => true))()
            ? Effect.fail(error)
            : (value as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, QuayError>)(...args)
        )
  }
  return refused as unknown as Quay
}
