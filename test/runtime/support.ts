import { type Duration, Effect, Ref, TestClock } from "effect"
import type { ObjectRef } from "../../src/domain/ObjectMeta.ts"
import { refKey } from "../../src/domain/ObjectMeta.ts"
import { managedByLabel, managedByValue } from "../../src/domain/Secret.ts"
import type { RawObject } from "../../src/layers/KubernetesInMemory.ts"

/** Yields until `check` holds, a bounded number of times: lets forked fibers (watches, workers) catch up. */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, rounds = 500): Effect.Effect<void, E | Error, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < rounds; i++) {
      if (yield* check) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.fail(new Error("condition never held"))
  })

/** Lets forked fibers run up to their next suspension. */
export const settle = Effect.repeatN(Effect.yieldNow(), 50)

/** Collects the keys an informer or a controller hands over. */
export const makeKeyLog = Effect.map(Ref.make<ReadonlyArray<string>>([]), (log) => ({
  onKey: (ref: ObjectRef) => Ref.update(log, (keys) => [...keys, refKey(ref)]),
  keys: Ref.get(log),
  clear: Ref.set(log, []),
  has: (key: string) => Effect.map(Ref.get(log), (keys) => keys.includes(key))
}))

export const imageRepository = (namespace: string, name: string, spec: RawObject = {}): RawObject => ({
  apiVersion: "appstudio.redhat.com/v1alpha1",
  kind: "ImageRepository",
  metadata: { namespace, name },
  spec
})

export const managedSecret = (
  namespace: string,
  name: string,
  owner: string | undefined,
  labelled = true
): RawObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    namespace,
    name,
    ...(labelled ? { labels: { [managedByLabel]: managedByValue } } : {}),
    ...(owner === undefined ? {} : {
      ownerReferences: [{
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "ImageRepository",
        name: owner,
        uid: `uid-${owner}`,
        controller: true
      }]
    })
  },
  type: "kubernetes.io/dockerconfigjson",
  data: {}
})

/** Moves the TestClock in steps until `done` holds (at most `steps` times), letting fibers run between steps. */
export const advanceUntil = (done: Effect.Effect<boolean>, step: Duration.DurationInput, steps: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < steps && !(yield* done); i++) {
      yield* TestClock.adjust(step)
      yield* settle
    }
  })
