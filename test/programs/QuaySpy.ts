import { Effect } from "effect"
import { Quay } from "../../src/services/Quay.ts"
import type { QuayError } from "../../src/services/QuayError.ts"

/**
 * A `Quay` that writes down every call with its arguments before passing it on, so a test can say which Quay
 * objects a reconcile touched: "no call for the foreign object" is checked on the calls themselves.
 */
export const spyOnQuay = Effect.map(Quay, (quay) => {
  const calls: Array<string> = []
  const spied: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(quay)) {
    spied[key] = typeof value !== "function"
      ? value
      : (...args: ReadonlyArray<unknown>) => {
        calls.push(`${key} ${JSON.stringify(args)}`)
        return (value as (...args: ReadonlyArray<unknown>) => unknown)(...args)
      }
  }
  return { quay: spied as unknown as Quay, calls }
})

/** The calls that name `thing` (a robot's short name, a repository): what a reconcile did to it. */
export const callsNaming = (calls: ReadonlyArray<string>, thing: string): ReadonlyArray<string> =>
  calls.filter((call) => call.includes(`"${thing}"`) || call.includes(`+${thing}"`))

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
