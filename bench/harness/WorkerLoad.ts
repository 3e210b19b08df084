/**
 * How busy this operator's workers were over a measurement, from its own /metrics: reconcile seconds (the sum of
 * controller_runtime_reconcile_time_seconds) against workers × wall time, reconciles per object, and how long a key
 * waited in the queue on average. Busy workers with an idle CPU mean more workers; idle workers mean the bound is
 * elsewhere (the CPU, the apiserver).
 */
import { Effect } from "effect"
import type * as ControllerProcess from "./ControllerProcess.ts"

export interface Reading {
  readonly reconcileSeconds: number
  readonly reconciles: number
  readonly queuedSeconds: number
  readonly takes: number
}

const empty: Reading = { reconcileSeconds: 0, reconciles: 0, queuedSeconds: 0, takes: 0 }

/** Sums the samples of one metric (every label set). */
const sumOf = (text: string, name: string): number => {
  let total = 0
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (!(rest.startsWith("{") || rest.startsWith(" "))) continue
    total += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0
  }
  return total
}

/** The operator's counters now; zeros when it serves none (the original, or a scrape that failed). */
export const read = (controller: ControllerProcess.ControllerProcess): Effect.Effect<Reading> => {
  const url = controller.metricsUrl
  if (url === undefined) return Effect.succeed(empty)
  return Effect.tryPromise(() => fetch(url).then((response) => response.text())).pipe(
    Effect.map((text) => ({
      reconcileSeconds: sumOf(text, "controller_runtime_reconcile_time_seconds_sum"),
      reconciles: sumOf(text, "controller_runtime_reconcile_time_seconds_count"),
      queuedSeconds: sumOf(text, "workqueue_queue_duration_seconds_sum"),
      takes: sumOf(text, "workqueue_queue_duration_seconds_count")
    })),
    Effect.orElseSucceed(() => empty)
  )
}

export interface WorkerLoad {
  /** Reconcile seconds ÷ (workers × wall seconds): 1 when every worker was busy all the time. */
  readonly utilisation: number
  readonly reconciles: number
  /** Mean reconcile time, seconds. */
  readonly meanReconcileSeconds: number
  /** Mean time a key waited in the queue, seconds. */
  readonly meanQueuedSeconds: number
}

export const since = (before: Reading, after: Reading, workers: number, wallSeconds: number): WorkerLoad => {
  const busy = after.reconcileSeconds - before.reconcileSeconds
  const reconciles = after.reconciles - before.reconciles
  const takes = after.takes - before.takes
  return {
    utilisation: wallSeconds > 0 ? busy / (workers * wallSeconds) : 0,
    reconciles,
    meanReconcileSeconds: reconciles > 0 ? busy / reconciles : 0,
    meanQueuedSeconds: takes > 0 ? (after.queuedSeconds - before.queuedSeconds) / takes : 0
  }
}
