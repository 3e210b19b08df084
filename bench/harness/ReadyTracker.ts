/**
 * When each ImageRepository of a namespace first showed `status.state: ready` (or `failed`), from a watch (not
 * polling: a poll's period would be part of every latency). Re-lists and watches again when a watch ends.
 */
import { Effect, type Scope, Stream } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"

export interface ReadyTracker {
  /** performance.now() when each object was first seen ready. */
  readonly readyAt: ReadonlyMap<string, number>
  readonly failed: ReadonlySet<string>
}

export const track = (namespace: string): Effect.Effect<ReadyTracker, never, Kubernetes | Scope.Scope> =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const readyAt = new Map<string, number>()
    const failed = new Set<string>()
    const see = (ir: ImageRepository) => {
      const name = ir.metadata.name
      if (ir.status?.state === "ready" && !readyAt.has(name)) readyAt.set(name, performance.now())
      if (ir.status?.state === "failed") failed.add(name)
    }
    const listThenWatch = Effect.gen(function*() {
      const listed = yield* kube.list(Kinds.ImageRepository, { namespace })
      listed.items.forEach(see)
      yield* kube.watch(Kinds.ImageRepository, { namespace, resourceVersion: listed.resourceVersion }).pipe(
        Stream.runForEach((event) => Effect.sync(() => (event.type === "BOOKMARK" ? undefined : see(event.object))))
      )
    })
    yield* Effect.forkScoped(Effect.forever(listThenWatch.pipe(Effect.catchAll(() => Effect.sleep("200 millis")))))
    return { readyAt, failed }
  })

/** Whether these names are all ready (or failed: a failed object will not become ready by waiting). */
export const settled = (tracker: ReadyTracker, names: ReadonlyArray<string>): boolean =>
  names.every((name) => tracker.readyAt.has(name) || tracker.failed.has(name))

export const readyCount = (tracker: ReadyTracker, names: ReadonlyArray<string>): number =>
  names.filter((name) => tracker.readyAt.has(name)).length
