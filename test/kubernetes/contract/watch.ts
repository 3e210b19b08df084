/** The Kubernetes contract for watches: from a list's resourceVersion, following later writes, from an ancient one. */
import { assert } from "@effect/vitest"
import { Chunk, Effect, Exit, Stream } from "effect"
import { Kubernetes } from "../../../src/services/Kubernetes.ts"
import type { KubernetesError } from "../../../src/services/KubernetesError.ts"
import { ImageRepository, Secret } from "../../../src/services/ResourceKind.ts"
import {
  watchTimeout,
  imageRepository,
  secret,
  errorTagOf,
  summary,
  NotYet,
  takeEvents,
  type ContractIt,
  type ContractContext
} from "./fixtures.ts"

export const watchContract = (it: ContractIt, { fresh }: ContractContext): void => {
  it.scoped("watch from a list's resourceVersion sees ADDED, MODIFIED, DELETED in order", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const other = yield* fresh
      const { resourceVersion } = yield* k8s.list(Secret, { namespace })
      yield* k8s.create(Secret, secret(other, "elsewhere"))
      yield* k8s.create(Secret, secret(namespace, "w"))
      yield* k8s.patch(Secret, { namespace, name: "w" }, { metadata: { labels: { step: "2" } } })
      yield* k8s.delete(Secret, { namespace, name: "w" })
      const events = yield* takeEvents(k8s.watch(Secret, { namespace, resourceVersion }), 3)
      assert.deepStrictEqual(summary(events), ["ADDED w", "MODIFIED w", "DELETED w"])
      const modified = Chunk.unsafeGet(events, 1)
      assert.strictEqual(modified.type === "MODIFIED" ? modified.object.metadata.labels?.["step"] : undefined, "2")
    }))

  it.scoped("watch follows writes made after it started, filtered by label selector", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const { resourceVersion } = yield* k8s.list(ImageRepository, { namespace })
      const watching = yield* Effect.fork(
        takeEvents(k8s.watch(ImageRepository, { namespace, resourceVersion, labelSelector: "watched=yes" }), 4)
      )
      yield* k8s.create(ImageRepository, imageRepository(namespace, "ignored"))
      yield* k8s.create(ImageRepository, imageRepository(namespace, "seen", { labels: { watched: "yes" } }))
      yield* k8s.patch(ImageRepository, { namespace, name: "seen" }, { spec: { image: { visibility: "private" } } })
      yield* k8s.patch(ImageRepository, { namespace, name: "seen" }, { metadata: { labels: { watched: "no" } } })
      yield* k8s.patch(ImageRepository, { namespace, name: "ignored" }, { metadata: { labels: { watched: "yes" } } })
      const events = yield* watching
      assert.deepStrictEqual(summary(events), ["ADDED seen", "MODIFIED seen", "DELETED seen", "ADDED ignored"])
      const left = Chunk.unsafeGet(events, 2)
      assert.strictEqual(
        left.type === "DELETED" ? left.object.metadata.labels?.["watched"] : undefined,
        "yes",
        "leaving the selector reads as a deletion of the last state the watch could see"
      )
    }))

  it.scoped("watch from an ancient resourceVersion is Gone or replays; never another error", () =>
    Effect.gen(function*() {
      const k8s = yield* Kubernetes
      const namespace = yield* fresh
      const watching = yield* Effect.fork(
        Effect.exit(
          k8s.watch(Secret, { namespace, resourceVersion: "1" }).pipe(
            Stream.filter((e) => e.type === "ADDED" && e.object.metadata.name === "marker"),
            Stream.take(1),
            Stream.runCollect,
            Effect.timeoutFail({ duration: watchTimeout, onTimeout: () => new NotYet({ detail: "no marker" }) })
          )
        )
      )
      yield* k8s.create(Secret, secret(namespace, "marker"))
      const exit = yield* watching
      const outcome = Exit.isSuccess(exit) ? "replayed" : errorTagOf(exit as Exit.Exit<unknown, KubernetesError>)
      assert.include(["replayed", "KubernetesGone"], outcome)
    }))
}
