import { Clock, Effect } from "effect"

let lastSecond = Number.NaN
let lastText = ""

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time (e.g. "2023-08-23T14:56:41Z"). */
export const fromMillis = (millis: number): string => {
  // Every pass asks for now; within one second the text is the same, and formatting a Date is not free.
  const second = Math.floor(millis / 1000)
  if (second !== lastSecond) {
    lastSecond = second
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")
  }
  return lastText
}

/** Now, from Effect's Clock (TestClock in tests): programs never read the wall clock themselves. */
export const now = Effect.map(Clock.currentTimeMillis, fromMillis)

/** metav1.MicroTime as the apiserver parses it (`2006-01-02T15:04:05.000000Z07:00`): six digits, not three. */
export const microTime = (millis: number): string => new Date(millis).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

/** Milliseconds since the epoch of an RFC 3339 time as Kubernetes writes it; undefined when it is not one. */
export const toMillis = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const millis = Date.parse(text)
  return Number.isNaN(millis) ? undefined : millis
}
