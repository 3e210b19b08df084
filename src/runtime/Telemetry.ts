import { Config, Context, Effect, Layer, Option, type Scope, Tracer } from "effect"
import type { HttpEndpointError } from "./HttpEndpoint.ts"
// Types only: the exporters (OpenTelemetry's SDK, tens of MB once loaded) are imported when they are turned on.
import type * as PrometheusMetrics from "./PrometheusMetrics.ts"

/**
 * Where the operator's telemetry goes. The code records spans (`Effect.withSpan` on every external call and
 * reconcile) and metrics (`Metric`) wherever it works; this layer decides who receives them: Prometheus scrapes
 * `/metrics` on its own port, spans go over OTLP when an endpoint is configured. Tests swap in `recording`.
 */
export interface TelemetryOptions {
  readonly serviceName?: string | undefined
  /** Serve Prometheus' `/metrics` on this port (0: any free one); none when absent. */
  readonly metricsPort?: number | undefined
  readonly metricsHost?: string | undefined
  /** Send spans to this OTLP/HTTP collector (`OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://collector:4318`). */
  readonly otlpEndpoint?: string | undefined
  /** Receives every span instead (tests); wins over `otlpEndpoint`. */
  readonly tracer?: Tracer.Tracer | undefined
}

export class Telemetry extends Context.Tag("image-repository-operator/Telemetry")<Telemetry, {
  /** The port `/metrics` is served on, if it is. */
  readonly metricsPort: Option.Option<number>
  /** Adds a gauge computed at scrape time, for as long as the scope lives (nothing when metrics are off). */
  readonly observe: (gauge: PrometheusMetrics.ObservedGauge) => Effect.Effect<void, never, Scope.Scope>
}>() {}

const defaultServiceName = "image-repository-operator"

/**
 * Spans over OTLP/HTTP (JSON, to `<endpoint>/v1/traces`, batched every 5 s and flushed when the scope closes). The
 * exporter's modules are loaded only when an endpoint is set: without one no exporter exists and nothing is sent.
 */
const otlpTracing = (endpoint: string, serviceName: string): Layer.Layer<never> => {
  const url = `${endpoint.replace(/\/+$/, "")}/v1/traces`
  return Layer.unwrapEffect(
    Effect.gen(function*() {
      const [OtlpTracer, OtlpSerialization, NodeHttpClient] = yield* Effect.promise(() =>
        Promise.all([
          import("@effect/opentelemetry/OtlpTracer"),
          import("@effect/opentelemetry/OtlpSerialization"),
          import("@effect/platform-node/NodeHttpClient")
        ])
      )
      yield* Effect.logInfo(`spans are exported over OTLP to ${url}`)
      return OtlpTracer.layer({ url, resource: { serviceName } }).pipe(
        Layer.provide(OtlpSerialization.layerJson),
        Layer.provide(NodeHttpClient.layer)
      )
    })
  )
}

const tracing = (options: TelemetryOptions): Layer.Layer<never> => {
  if (options.tracer !== undefined) return Layer.setTracer(options.tracer)
  if (options.otlpEndpoint === undefined) return Layer.empty
  return otlpTracing(options.otlpEndpoint, options.serviceName ?? defaultServiceName)
}

export const layer = (options: TelemetryOptions = {}): Layer.Layer<Telemetry, HttpEndpointError> => {
  const port = options.metricsPort
  const metrics = port === undefined
    ? Layer.succeed(Telemetry, { metricsPort: Option.none(), observe: () => Effect.void })
    : Layer.scoped(
      Telemetry,
      Effect.promise(() => import("./PrometheusMetrics.ts")).pipe(
        Effect.flatMap((PrometheusMetrics) =>
          PrometheusMetrics.serve({ port, host: options.metricsHost, serviceName: options.serviceName ?? defaultServiceName })
        ),
        Effect.map((served) => ({ metricsPort: Option.some(served.port), observe: served.observe }))
      )
    )
  return Layer.merge(metrics, tracing(options))
}

/** `layer` with Config-wrapped options, as Effect's own packages take them. */
export const layerConfig = (config: Config.Config.Wrap<TelemetryOptions>) =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))

/**
 * METRICS_PORT (default 8080; 0 turns `/metrics` off, as the original's `--metrics-bind-address=0`),
 * OTEL_EXPORTER_OTLP_ENDPOINT (spans over OTLP/HTTP when set), OTEL_SERVICE_NAME.
 */
export const configFromEnvironment: Config.Config<TelemetryOptions> = Config.all({
  // Not Config.port: it refuses 0, the documented way to turn /metrics off.
  metricsPort: Config.integer("METRICS_PORT").pipe(
    Config.validate({
      message: "METRICS_PORT must be a port number, or 0 for none",
      validation: (port) => port >= 0 && port < 65536
    }),
    Config.withDefault(8080),
    Config.map((port) => (port === 0 ? undefined : port))
  ),
  otlpEndpoint: Config.string("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(
    Config.map((url) => url.trim()),
    Config.withDefault(""),
    Config.map((url) => (url === "" ? undefined : url))
  ),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault(defaultServiceName))
})

/** The spans a `recording` layer has seen, oldest first: names, attributes, events and how each ended. */
export class SpanRecorder extends Context.Tag("image-repository-operator/SpanRecorder")<SpanRecorder, {
  readonly spans: Effect.Effect<ReadonlyArray<Tracer.Span>>
}>() {}

/** Past this many spans the oldest are dropped: a long test must not grow without bound. */
const maxRecorded = 10_000

/** Records every span in memory, on top of Effect's own tracer; for tests. No metrics endpoint. */
export const recording: Layer.Layer<SpanRecorder | Telemetry> = Layer.unwrapEffect(
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
    const recorder = { spans: Effect.sync((): ReadonlyArray<Tracer.Span> => [...spans]) }
    return Layer.merge(layer({ tracer }).pipe(Layer.orDie), Layer.succeed(SpanRecorder, recorder))
  })
)
