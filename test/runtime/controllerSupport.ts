/** Fixtures shared by the Controller tests: a recorder of reconciles and a count condition. */
import { Clock, Effect, Ref } from "effect"
import { type ObjectRef, refKey } from "../../src/domain/ObjectMeta.ts"

/** Records every reconcile: which key, and when on the (test) clock. */
export const makeRecorder = Effect.map(Ref.make<ReadonlyArray<{ readonly key: string; readonly at: number }>>([]), (log) => ({
  record: (ref: ObjectRef) =>
    Effect.flatMap(Clock.currentTimeMillis, (at) => Ref.update(log, (l) => [...l, { key: refKey(ref), at }])),
  keys: Effect.map(Ref.get(log), (l) => l.map((e) => e.key)),
  timesOf: (key: string) => Effect.map(Ref.get(log), (l) => l.filter((e) => e.key === key).map((e) => e.at)),
  count: (key: string) => Effect.map(Ref.get(log), (l) => l.filter((e) => e.key === key).length)
}))

export const countIs = (count: Effect.Effect<number>, n: number) => Effect.map(count, (c) => c === n)
