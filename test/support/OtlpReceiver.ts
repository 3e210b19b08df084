/**
 * A tiny OTLP/HTTP trace receiver, as a collector listens on :4318: it takes `POST /v1/traces` with the JSON
 * encoding (what @effect/opentelemetry's OtlpTracer sends with `OtlpSerialization.layerJson`), answers 200 `{}`
 * and keeps every request, so a test can read the spans the operator exported.
 */
import * as Http from "node:http"

export interface ReceivedSpan {
  readonly name: string
  readonly kind: number | undefined
  readonly attributes: Readonly<Record<string, unknown>>
}

export interface ReceivedRequest {
  readonly path: string
  readonly contentType: string | undefined
  readonly body: string
}

export interface OtlpReceiver {
  /** What to set OTEL_EXPORTER_OTLP_ENDPOINT to. */
  readonly endpoint: string
  readonly requests: ReadonlyArray<ReceivedRequest>
  /** Every span of every request received so far, resource and scope flattened away. */
  readonly spans: () => ReadonlyArray<ReceivedSpan>
  readonly close: () => Promise<void>
}

interface OtlpAttribute {
  readonly key: string
  readonly value: Readonly<Record<string, unknown>>
}

interface OtlpTraces {
  readonly resourceSpans?: ReadonlyArray<{
    readonly scopeSpans?: ReadonlyArray<{
      readonly spans?: ReadonlyArray<{
        readonly name: string
        readonly kind?: number
        readonly attributes?: ReadonlyArray<OtlpAttribute>
      }>
    }>
  }>
}

/** An OTLP AnyValue (`{stringValue}`, `{intValue}`, ...) as a plain value. */
const plain = (value: Readonly<Record<string, unknown>>): unknown => Object.values(value)[0]

const spansOf = (body: string): ReadonlyArray<ReceivedSpan> => {
  const traces = JSON.parse(body) as OtlpTraces
  return (traces.resourceSpans ?? []).flatMap((r) =>
    (r.scopeSpans ?? []).flatMap((s) =>
      (s.spans ?? []).map((span) => ({
        name: span.name,
        kind: span.kind,
        attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, plain(a.value)]))
      }))
    )
  )
}

export const startOtlpReceiver = async (): Promise<OtlpReceiver> => {
  const requests: Array<ReceivedRequest> = []
  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      requests.push({
        path: request.url ?? "",
        contentType: request.headers["content-type"],
        body: Buffer.concat(chunks).toString("utf8")
      })
      response.writeHead(200, { "content-type": "application/json" })
      response.end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    spans: () => requests.filter((r) => r.path === "/v1/traces").flatMap((r) => spansOf(r.body)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
