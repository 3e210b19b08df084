/**
 * Many ImageRepositories created at once against a running controller, and the wait until every one is ready (or
 * failed, or the time is up): what the burst, quay.io-limit and restart scenarios measure.
 */
import { Duration, Effect } from "effect"
import * as Cluster from "./Cluster.ts"
import * as ControllerProcess from "./ControllerProcess.ts"
import * as ControlPlaneLoad from "./ControlPlaneLoad.ts"
import * as ReadyTracker from "./ReadyTracker.ts"
import * as Stage from "./Stage.ts"
import * as WorkerLoad from "./WorkerLoad.ts"

export interface AtOnce {
  /** From the first create to the last object ready (or the deadline). */
  readonly seconds: number
  readonly ready: number
  readonly failed: number
  /** Objects that were neither ready nor failed by the deadline. */
  readonly pending: number
  /** performance.now() of the first create, and of each object's ready. */
  readonly started: number
  readonly readyAt: ReadonlyArray<number>
  readonly quayRequests: number
  readonly tooManyRequests: number
  /** Write requests the controller made (the bench's own creates subtracted). */
  readonly writes: number
  readonly cpuSeconds: number
  /** The apiserver's and etcd's CPU and the requests by verb and resource over the same span (the bench's creates included). */
  readonly controlPlane: ControlPlaneLoad.Load
  /** This operator's reconcile counters over the span (zeros for the original). */
  readonly workerReadings: { readonly before: WorkerLoad.Reading; readonly after: WorkerLoad.Reading }
}

export const names = (count: number): ReadonlyArray<string> => Array.from({ length: count }, (_, i) => `repo-${String(i).padStart(5, "0")}`)

/** Creates `count` objects at once (as fast as the apiserver takes them) and waits for them, up to `deadline`. */
export const provision = (
  stage: Stage.Stage,
  controller: ControllerProcess.ControllerProcess,
  count: number,
  deadline: Duration.DurationInput
): Effect.Effect<AtOnce, Cluster.ClusterError | ControllerProcess.ControllerProcessError> =>
  Effect.gen(function*() {
    const all = names(count)
    const quayBefore = Stage.quayCounts(stage)
    const planeBefore = yield* ControlPlaneLoad.read(stage.cluster)
    const workersBefore = yield* WorkerLoad.read(controller)
    const cpuBefore = yield* controller.cpuSeconds
    const started = performance.now()
    yield* Stage.createImageRepositories(stage, all.map((name) => ({ name })), 64)
    const done = yield* ControllerProcess.awaitUntil(
      controller,
      Effect.sync(() => ReadyTracker.settled(stage.tracker, all)),
      `all ${count} ready`,
      deadline,
      "20 millis"
    )
    const readyAt = all.flatMap((name) => {
      const at = stage.tracker.readyAt.get(name)
      return at === undefined ? [] : [at]
    })
    const last = done ? Math.max(started, ...readyAt) : performance.now()
    const failed = all.filter((name) => stage.tracker.failed.has(name)).length
    const cpuSeconds = (yield* controller.cpuSeconds) - cpuBefore
    const workersAfter = yield* WorkerLoad.read(controller)
    // Trailing writes (a last Event or status) belong to the burst too.
    yield* Effect.sleep(Duration.seconds(2))
    const quay = Stage.quayCounts(stage)
    const planeAfter = yield* ControlPlaneLoad.read(stage.cluster)
    return {
      seconds: (last - started) / 1000,
      ready: readyAt.length,
      failed,
      pending: count - readyAt.length - failed,
      started,
      readyAt,
      quayRequests: quay.total - quayBefore.total,
      tooManyRequests: quay.tooMany - quayBefore.tooMany,
      writes: Cluster.writesOf(planeAfter.requests) - Cluster.writesOf(planeBefore.requests) - count,
      cpuSeconds,
      controlPlane: ControlPlaneLoad.since(planeBefore, planeAfter),
      workerReadings: { before: workersBefore, after: workersAfter }
    }
  })

/** Starts the stage's controller and waits until it has provisioned a warm-up object (informers synced, code warm). */
export const launchWarm = (stage: Stage.Stage) =>
  Effect.gen(function*() {
    const controller = yield* Stage.launch(stage)
    yield* Stage.createImageRepositories(stage, [{ name: "warm-up" }])
    yield* ControllerProcess.awaitCondition(controller, Effect.sync(() => stage.tracker.readyAt.has("warm-up")), "warm-up ready", "3 minutes")
    return controller
  })
