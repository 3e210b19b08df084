/**
 * The one global resourceVersion and the bounded log of what changed at each version: watches replay it from
 * a version they name, and a version older than the log reaches is Gone, as after etcd's compaction.
 */
import type { RawObject } from "./rawObject.ts"

export interface StoredEvent {
  readonly resourceVersion: number
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  readonly kindKey: string
  readonly object: RawObject
  /** The object before a MODIFIED event, so label-selected watches can turn it into ADDED/DELETED. */
  readonly previous?: RawObject
}

export interface History {
  /** The newest resourceVersion handed out. */
  readonly current: () => number
  /** Hands out the next resourceVersion. */
  readonly next: () => number
  readonly record: (event: StoredEvent) => void
  /** Events after `resourceVersion`, or "gone" when the log no longer reaches back that far. */
  readonly eventsAfter: (resourceVersion: number) => ReadonlyArray<StoredEvent> | "gone"
  /** Events recorded since the last call: the layer publishes them to live watches. */
  readonly drain: () => ReadonlyArray<StoredEvent>
}

export const makeHistory = (limit: number): History => {
  const log: Array<StoredEvent> = []
  let pending: Array<StoredEvent> = []
  let revision = 0
  /** Newest resourceVersion no longer in the log. */
  let compacted = 0
  return {
    current: () => revision,
    next: () => ++revision,
    record: (event) => {
      log.push(event)
      pending.push(event)
      while (log.length > limit) {
        const dropped = log.shift()
        if (dropped !== undefined) compacted = dropped.resourceVersion
      }
    },
    eventsAfter: (resourceVersion) =>
      resourceVersion < compacted ? "gone" : log.filter((e) => e.resourceVersion > resourceVersion),
    drain: () => {
      const events = pending
      pending = []
      return events
    }
  }
}
