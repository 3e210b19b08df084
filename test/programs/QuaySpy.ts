import { Effect } from "effect"
import { Quay } from "../../src/services/Quay.ts"

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
