/**
 * Round trips measured from the order in which requests start and end, never from clocks: a request is one round
 * trip deeper than the deepest request that had ended before it started (it may have waited for that one). The
 * deepest request is the critical path: how many round trips one after another the work took.
 */
export interface RequestEvent {
  readonly id: number
  readonly type: "start" | "end"
  /** What the request was (an operation, a method and path). */
  readonly what: string
}

export interface RoundTrips {
  /** Round trips one after another: the depth of the deepest request. */
  readonly criticalPath: number
  /** Requests at once, at most. */
  readonly maxInFlight: number
  readonly requests: number
  /** The requests at each depth, in start order: what ran together. */
  readonly rounds: ReadonlyArray<ReadonlyArray<string>>
}

export const measure = (events: ReadonlyArray<RequestEvent>): RoundTrips => {
  const depth = new Map<number, number>()
  const rounds: Array<Array<string>> = []
  let ended = 0
  let inFlight = 0
  let maxInFlight = 0
  for (const event of events) {
    if (event.type === "start") {
      const d = ended + 1
      depth.set(event.id, d)
      ;(rounds[d - 1] ??= []).push(event.what)
      inFlight += 1
      maxInFlight = Math.max(maxInFlight, inFlight)
    } else {
      ended = Math.max(ended, depth.get(event.id) ?? 0)
      inFlight -= 1
    }
  }
  return { criticalPath: rounds.length, maxInFlight, requests: depth.size, rounds }
}

/** Writes down request starts and ends, in the order they happen. */
export const makeRecorder = () => {
  const events: Array<RequestEvent> = []
  let next = 0
  return {
    events,
    start: (what: string): number => {
      const id = next++
      events.push({ id, type: "start", what })
      return id
    },
    end: (id: number, what: string): void => {
      events.push({ id, type: "end", what })
    },
    clear: (): void => {
      events.length = 0
    }
  }
}
