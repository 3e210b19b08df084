import { Clock, Effect, Metric, MetricBoundaries } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { toMillis } from "../domain/Timestamp.ts"

/** The original controller's buckets (seconds), so its dashboards and SLO alerts read these unchanged. */
const buckets = MetricBoundaries.fromIterable([5, 10, 15, 20, 30, 60, 120, 300])

/** The original's SLI: how long from creation until an ImageRepository is ready. */
export const provisionTime = Metric.histogram(
  "redhat_appstudio_imagecontroller_image_repository_provision_time",
  buckets,
  "Seconds from an ImageRepository's creation until it is ready"
)

export const provisionFailureTime = Metric.histogram(
  "redhat_appstudio_imagecontroller_image_repository_provision_failure_time",
  buckets,
  "Seconds from an ImageRepository's creation until it failed"
)

/** Observes the object's age now (from creationTimestamp, by Effect's Clock) in `histogram`. */
const observeAge = (histogram: typeof provisionTime, ir: ImageRepository) =>
  Effect.gen(function*() {
    const created = toMillis(ir.metadata.creationTimestamp)
    if (created === undefined) return
    const now = yield* Clock.currentTimeMillis
    yield* Metric.update(histogram, Math.max(0, (now - created) / 1000))
  })

export const recordProvisioned = (ir: ImageRepository) => observeAge(provisionTime, ir)
export const recordProvisionFailed = (ir: ImageRepository) => observeAge(provisionFailureTime, ir)
