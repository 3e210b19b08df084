/**
 * What bounds a burst on a shared machine: the CPU each object costs this operator, the apiserver and etcd, and the
 * rate the machine's cores allow at that cost (cores ÷ CPU seconds per object), next to how busy the workers were.
 * Figures and notes for a scenario's table.
 */
import * as Os from "node:os"
import * as Figure from "../Figure.ts"
import type { Figure as FigureOf } from "../Scenario.ts"
import type { AtOnce } from "./AtOnce.ts"
import * as WorkerLoad from "./WorkerLoad.ts"

export interface Bound {
  readonly figures: ReadonlyArray<FigureOf>
  readonly notes: ReadonlyArray<string>
  /** Objects per second the cores allow at the measured CPU per object (operator + apiserver + etcd). */
  readonly cpuBoundRate: number | undefined
}

const perObjectMs = (seconds: number | undefined, count: number): number | undefined =>
  seconds === undefined ? undefined : (seconds / count) * 1000

export const of = (ours: AtOnce, count: number, workers: number, original?: AtOnce): Bound => {
  const cores = Os.availableParallelism()
  const apiserver = perObjectMs(ours.controlPlane.cpuSeconds["kube-apiserver"], count)
  const etcd = perObjectMs(ours.controlPlane.cpuSeconds.etcd, count)
  const operator = (ours.cpuSeconds / count) * 1000
  const total = apiserver === undefined || etcd === undefined ? undefined : operator + apiserver + etcd
  const cpuBoundRate = total === undefined || total === 0 ? undefined : (cores * 1000) / total
  const load = WorkerLoad.since(ours.workerReadings.before, ours.workerReadings.after, workers, ours.seconds)
  const theirs = (pick: (m: AtOnce) => number | undefined) => (original === undefined ? undefined : pick(original))
  const figures: Array<FigureOf> = []
  if (apiserver !== undefined) {
    figures.push(Figure.make({
      label: "apiserver CPU per object",
      value: apiserver,
      unit: "ms",
      original: theirs((m) => perObjectMs(m.controlPlane.cpuSeconds["kube-apiserver"], count))
    }))
  }
  if (etcd !== undefined) {
    figures.push(Figure.make({ label: "etcd CPU per object", value: etcd, unit: "ms", original: theirs((m) => perObjectMs(m.controlPlane.cpuSeconds.etcd, count)) }))
  }
  if (cpuBoundRate !== undefined) {
    figures.push(Figure.make({
      label: `objects/s the ${cores} cores allow at this CPU per object`,
      value: cpuBoundRate,
      unit: "objects/s"
    }))
  }
  const controlPlaneRate = apiserver === undefined || etcd === undefined || apiserver + etcd === 0
    ? undefined
    : (cores * 1000) / (apiserver + etcd)
  if (controlPlaneRate !== undefined) {
    figures.push(Figure.make({
      label: `objects/s the ${cores} cores allow the apiserver and etcd alone (an operator costing nothing)`,
      value: controlPlaneRate,
      unit: "objects/s"
    }))
  }
  figures.push(Figure.make({ label: "worker utilisation (reconcile time ÷ workers × wall time)", value: load.utilisation, unit: "" }))
  figures.push(Figure.make({ label: "reconciles per object", value: load.reconciles / count, unit: "reconciles" }))
  const requests = ours.controlPlane.requests
    .map(([key, n]) => `${key} ${(n / count).toFixed(2)}`)
    .join(", ")
  const notes = [
    `apiserver requests per object by verb and resource (the bench's own create included): ${requests}`,
    `workers: ${workers}; mean reconcile ${(load.meanReconcileSeconds * 1000).toFixed(0)} ms, mean time queued ${
      (load.meanQueuedSeconds * 1000).toFixed(0)
    } ms`,
    ...(total === undefined ? [] : [
      `CPU per object: operator ${operator.toFixed(1)} ms + apiserver ${apiserver?.toFixed(1)} ms + etcd ${etcd?.toFixed(1)} ms = ${
        total.toFixed(1)
      } ms; on ${cores} cores that allows at most ${cpuBoundRate?.toFixed(0)} objects/s before the bench's own ` +
      "process (creates, the ready tracker's watch, the Quay simulator) takes its share"
    ]),
    ...(controlPlaneRate === undefined ? [] : [
      `the apiserver and etcd alone, for the requests every object needs, leave room for at most ${
        controlPlaneRate.toFixed(0)
      } objects/s on ${cores} cores${
        controlPlaneRate < 100 ? ": the burst target of 100 objects/s is beyond this machine whatever the operator costs" : ""
      }`
    ])
  ]
  return { figures, notes, cpuBoundRate }
}
