import { Metric, MetricBoundaries } from "effect"

/**
 * The controller's metrics, named after controller-runtime's and client-go's so existing dashboards and
 * alerts read them unchanged. Effect metrics: an exporter (Prometheus, OpenTelemetry) picks them up from
 * the default registry.
 */

/** Reconciles by outcome: `success`, `requeue_after`, `error`. */
export const reconcileTotal = Metric.counter("controller_runtime_reconcile_total", {
  description: "Total number of reconciliations per controller and result",
  incremental: true
})

export const reconcileErrorsTotal = Metric.counter("controller_runtime_reconcile_errors_total", {
  description: "Total number of reconciliation errors per controller",
  incremental: true
})

export const reconcileTimeSeconds = Metric.histogram(
  "controller_runtime_reconcile_time_seconds",
  MetricBoundaries.exponential({ start: 0.005, factor: 2, count: 16 }),
  "Length of time per reconciliation per controller"
)

export const workqueueRetriesTotal = Metric.counter("workqueue_retries_total", {
  description: "Total number of retries handled by the work queue",
  incremental: true
})

export const workqueueDepth = Metric.gauge("workqueue_depth", { description: "Current depth of the work queue" })

export const workqueueAddsTotal = Metric.counter("workqueue_adds_total", {
  description: "Total number of adds handled by the work queue",
  incremental: true
})

export const workqueueQueueDurationSeconds = Metric.histogram(
  "workqueue_queue_duration_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 4, count: 10 }),
  "How long a key stays in the work queue before it is taken"
)

/** Whether this replica leads (1) or stands by (0). */
export const leaderElectionMasterStatus = Metric.gauge("leader_election_master_status", {
  description: "Whether this replica is the leader (1) or a standby (0)"
})

/** One controller's metrics, tagged with its name as controller-runtime tags them. */
export interface ControllerMetrics {
  readonly reconcileTotal: (result: "success" | "requeue_after" | "error") => Metric.Metric.Counter<number>
  readonly reconcileErrors: Metric.Metric.Counter<number>
  readonly reconcileTime: Metric.Metric.Histogram<number>
  readonly retries: Metric.Metric.Counter<number>
  readonly queue: {
    readonly depth: Metric.Metric.Gauge<number>
    readonly adds: Metric.Metric.Counter<number>
    readonly queueDuration: Metric.Metric.Histogram<number>
  }
  readonly leaderStatus: Metric.Metric.Gauge<number>
}

export const forController = (name: string): ControllerMetrics => {
  // Tagged once here, not per reconcile: each tagging builds a new metric key the registry has to hash.
  const byResult = {
    success: reconcileTotal.pipe(Metric.tagged("controller", name), Metric.tagged("result", "success")),
    requeue_after: reconcileTotal.pipe(Metric.tagged("controller", name), Metric.tagged("result", "requeue_after")),
    error: reconcileTotal.pipe(Metric.tagged("controller", name), Metric.tagged("result", "error"))
  }
  return {
    reconcileTotal: (result: "success" | "requeue_after" | "error") => byResult[result],
    reconcileErrors: reconcileErrorsTotal.pipe(Metric.tagged("controller", name)),
    reconcileTime: reconcileTimeSeconds.pipe(Metric.tagged("controller", name)),
    retries: workqueueRetriesTotal.pipe(Metric.tagged("name", name)),
    queue: {
      depth: workqueueDepth.pipe(Metric.tagged("name", name)),
      adds: workqueueAddsTotal.pipe(Metric.tagged("name", name)),
      queueDuration: workqueueQueueDurationSeconds.pipe(Metric.tagged("name", name))
    },
    leaderStatus: leaderElectionMasterStatus.pipe(Metric.tagged("name", name))
  }
}
