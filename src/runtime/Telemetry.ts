import { Context, Effect, Layer, Tracer } from "effect"

/**
 * Where the operator's telemetry goes. The code records spans (`Effect.withSpan` on every external call and
 * reconcile) and metrics (`Metric`) wherever it works; this layer decides who receives them. The operator provides
 * it once at the top; tests swap in `recording` and read what was recorded (e.g. to prove no token reaches a span).
 */
export interface TelemetryOptions {
  /** Receives every span; Effect's own in-process tracer (no export) when absent. */
  readonly tracer?: Tracer.Tracer | undefined
}

export const layer = (options: TelemetryOptions = {}): Layer.Layer<never> =>
  options.tracer === undefined ? Layer.empty : Layer.setTracer(options.tracer)

/** A span as recorded: its name and attributes once it has ended (or as far as it got). */
export interface RecordedSpan {
  readonly name: string
  readonly attributes: ReadonlyMap<string, unknown>
}

/** The spans a `recording` layer has seen, oldest first. */
export class SpanRecorder extends Context.Tag("image-repository-operator/SpanRecorder")<SpanRecorder, {
  readonly spans: Effect.Effect<ReadonlyArray<RecordedSpan>>
}>() {}

/** Past this many spans the oldest are dropped: a long test must not grow without bound. */
const maxRecorded = 10_000

/** Records every span in memory, on top of Effect's own tracer; for tests. */
export const recording: Layer.Layer<SpanRecorder> = Layer.unwrapEffect(
  Effect.map(Effect.tracer, (base) => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (...args) => {
        const span = base.span(...args)
        spans.push(span)
        if (spans.length > maxRecorded) spans.shift()
        return span
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    const recorder = {
      spans: Effect.sync(() => spans.map((span): RecordedSpan => ({ name: span.name, attributes: span.attributes })))
    }
    return Layer.merge(layer({ tracer }), Layer.succeed(SpanRecorder, recorder))
  })
)
