/**
 * The simulator's record of API requests over time, for the bench's request trace (when were requests ready, when
 * did the nginx limit have room and nothing came): each request's arrival, its answer's status, and the connection
 * it came on. Off unless asked for; bounded, so a long run cannot grow it without end.
 */
export interface TimelineEntry {
  /** performance.now() when the request arrived, before the rate limit. */
  readonly at: number
  readonly method: string
  readonly path: string
  /** The answer's status; 0 when none was sent (an injected timeout or dropped connection). */
  readonly status: number
  /** "1.1" or "2.0". */
  readonly httpVersion: string
  /** The rate limit's key: the client address over HTTP/1.x, the connection over HTTP/2. */
  readonly client: string
}

const maxEntries = 200_000

export class RequestTimeline {
  private readonly entries: Array<TimelineEntry> = []

  record(entry: TimelineEntry): void {
    if (this.entries.length < maxEntries) this.entries.push(entry)
  }

  /** The entries from `since` (performance.now()) on, in arrival order. */
  since(since = 0): ReadonlyArray<TimelineEntry> {
    return this.entries.filter((entry) => entry.at >= since).sort((a, b) => a.at - b.at)
  }

  clear(): void {
    this.entries.length = 0
  }
}
