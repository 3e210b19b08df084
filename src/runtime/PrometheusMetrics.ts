import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Effect, Layer, Ref, type Scope } from "effect"
import { failureMessage } from "../domain/FailureMessage.ts"
import * as HttpEndpoint from "./HttpEndpoint.ts"
import { processMemoryGauges } from "./ProcessMetrics.ts"

/**
 * A gauge computed when Prometheus scrapes, one series per current object (e.g. each ImageRepository's credential
 * age from the informer cache). Effect's own metrics keep every tagged series forever; a gauge per object would
 * outlive deleted objects, so these are read at scrape time instead.
 */
export interface ObservedGauge {
  readonly name: string
  readonly help: string
  readonly observe: Effect.Effect<ReadonlyArray<{ readonly labels: Readonly<Record<string, string>>; readonly value: number }>>
}

export interface PrometheusMetrics {
  readonly port: number
  /** Adds a scrape-time gauge for as long as the scope lives. */
  readonly observe: (gauge: ObservedGauge) => Effect.Effect<void, never, Scope.Scope>
  /** What a scrape answers now. */
  readonly scrape: Effect.Effect<string>
}

/**
 * Serves `/metrics` in Prometheus' text format on `port`: every Effect metric the code records (through
 * @effect/opentelemetry's producer into OpenTelemetry's Prometheus exporter, which names, labels and serializes
 * them as Prometheus expects) plus the scrape-time gauges, the process's memory among them.
 */
export const serve = (
  options: { readonly port: number; readonly host?: string | undefined; readonly serviceName: string }
): Effect.Effect<PrometheusMetrics, HttpEndpoint.HttpEndpointError, Scope.Scope> =>
  Effect.gen(function*() {
    // The exporter only collects: this process answers the scrapes, so it can add the observed gauges.
    const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
    yield* Layer.buildWithScope(
      OtelMetrics.layer(() => exporter).pipe(Layer.provide(Resource.layer({ serviceName: options.serviceName }))),
      yield* Effect.scope
    )
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
    const gauges = yield* Ref.make<ReadonlyArray<ObservedGauge>>(processMemoryGauges)

    const scrape = Effect.gen(function*() {
      const collected = yield* Effect.tryPromise(() => exporter.collect())
      const observed = yield* Effect.forEach(yield* Ref.get(gauges), render)
      return serializer.serialize(collected.resourceMetrics) + observed.join("")
    }).pipe(
      Effect.catchAll((error) => Effect.succeed(`# collecting metrics failed: ${failureMessage(error)}\n`))
    )

    const endpoint = yield* HttpEndpoint.serve("metrics", options.port, options.host ?? "0.0.0.0", (path) =>
      path === "/metrics"
        ? Effect.map(scrape, (body) => ({ status: 200, body, contentType: "text/plain; version=0.0.4; charset=utf-8" }))
        : Effect.succeed(undefined))

    return {
      port: endpoint.port,
      observe: (gauge) =>
        Effect.acquireRelease(
          Ref.update(gauges, (all) => [...all, gauge]),
          () => Ref.update(gauges, (all) => all.filter((g) => g !== gauge))
        ),
      scrape
    }
  })

/** One gauge in the text format: HELP, TYPE, one line per series. */
const render = (gauge: ObservedGauge): Effect.Effect<string> =>
  Effect.map(gauge.observe, (series) => {
    const lines = [`# HELP ${gauge.name} ${gauge.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${gauge.name} gauge`]
    for (const { labels, value } of series) {
      const pairs = Object.entries(labels).map(([key, v]) => `${key}="${escapeLabel(v)}"`)
      lines.push(`${gauge.name}${pairs.length === 0 ? "" : `{${pairs.join(",")}}`} ${formatValue(value)}`)
    }
    return `${lines.join("\n")}\n`
  })

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')

const formatValue = (value: number): string =>
  Number.isNaN(value) ? "NaN" : value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value)
