import { Effect, Metric, MetricBoundaries } from "effect"

/**
 * Quay's API as the operator uses it, for rate-limit dashboards and alerts: every HTTP attempt (retries included) by
 * endpoint template, method and status (`error` when no answer came: network failure, timeout).
 */
export const requestsTotal = Metric.counter("quay_api_requests_total", {
  description: "Requests sent to Quay's API, by endpoint, method and status",
  incremental: true
})

export const requestDurationSeconds = Metric.histogram(
  "quay_api_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.01, factor: 2, count: 12 }),
  "Time from sending a request to Quay's API to its complete answer"
)

export const record = (endpoint: string, method: string, status: string, seconds: number): Effect.Effect<void> =>
  Effect.zipRight(
    Metric.increment(Metric.tagged(Metric.tagged(Metric.tagged(requestsTotal, "endpoint", endpoint), "method", method), "status", status)),
    Metric.update(Metric.tagged(Metric.tagged(requestDurationSeconds, "endpoint", endpoint), "method", method), seconds)
  )
