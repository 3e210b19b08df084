import { type Duration, Effect, pipe, Ref, TestClock } from "effect"
import type { ObjectRef } from "../../src/domain/ObjectMeta.ts"
import { refKey } from "../../src/domain/ObjectMeta.ts"
import { managedByLabel, managedByValue, managedSecretSelector } from "../../src/domain/Secret.ts"
import type { RawObject } from "../../src/layers/KubernetesInMemory.ts"
import * as Controller from "../../src/runtime/Controller.ts"
import * as Manager from "../../src/runtime/Manager.ts"
import type { ReconcileResult } from "../../src/services/ReconcileResult.ts"
import { ImageRepository, Secret } from "../../src/services/ResourceKind.ts"

/** The settings of one ImageRepository controller and of the manager that runs it alone. */
export type ControllerRunOptions<E, R> =
  & Omit<Controller.ControllerOptions<E, R>, "name" | "reconcile">
  & Omit<Manager.ManagerOptions<E, R>, "controllers">
  & { readonly reconcile: (ref: ObjectRef) => Effect.Effect<ReconcileResult, E, R> }

/** Runs an ImageRepository controller that owns the operator's Secrets, as the operator declares it, in a manager of its own. */
export const runController = <E, R>(options: ControllerRunOptions<E, R>) => {
  const { backoff, labelSelector, reconcile, reconcileTimeout, retryBucket, workers, ...manager } = options
  const controller = pipe(
    Controller.make(ImageRepository, { name: "imagerepository", reconcile, backoff, labelSelector, reconcileTimeout, retryBucket, workers }),
    Controller.owns(Secret, { labelSelector: managedSecretSelector })
  )
  return Manager.run({ ...manager, controllers: [controller] })
}

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
