/** The Grafana dashboard shipped in config/monitoring: each metric the operator exports has its panel. */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "vitest"

interface Panel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly datasource?: { readonly type: string; readonly uid: string }
  readonly targets?: ReadonlyArray<{ readonly expr: string }>
}

const file = Path.join(import.meta.dirname, "..", "..", "config", "monitoring", "grafana-dashboards", "image-repository-operator.json")
const dashboard = JSON.parse(Fs.readFileSync(file, "utf8")) as {
  readonly uid: string
  readonly panels: ReadonlyArray<Panel>
  readonly templating: { readonly list: ReadonlyArray<{ readonly name: string; readonly type: string; readonly query: string }> }
}
const graphs = dashboard.panels.filter((p) => p.type !== "row")
/** The queries of the panel with this title. */
const queries = (title: string): ReadonlyArray<string> => {
  const panel = graphs.find((p) => p.title === title)
  if (panel === undefined) throw new Error(`no panel "${title}" in ${graphs.map((p) => p.title).join(", ")}`)
  return (panel.targets ?? []).map((t) => t.expr)
}

describe("Grafana dashboard", () => {
  it("queries the Prometheus data source the viewer picks, in every panel", () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }))
    for (const panel of graphs) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" })
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
    }
    const ids = dashboard.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("provision latency as p50, p95 and p99 of the original controller's histogram, and provision failures", () => {
    const latency = queries("Provision latency")
    for (const quantile of ["0.5", "0.95", "0.99"]) {
      expect(latency).toContainEqual(
        `histogram_quantile(${quantile}, sum by (le) (rate(redhat_appstudio_imagecontroller_image_repository_provision_time_bucket[$__rate_interval])))`
      )
    }
    expect(queries("Provision failures").join()).toContain("redhat_appstudio_imagecontroller_image_repository_provision_failure_time_count")
  })

  it("reconcile rate and errors by controller, and work-queue depth, under controller-runtime's names", () => {
    expect(queries("Reconcile rate").join()).toMatch(/sum by \(controller, result\) \(rate\(controller_runtime_reconcile_total\[/)
    expect(queries("Reconcile errors").join()).toMatch(/sum by \(controller\) \(rate\(controller_runtime_reconcile_errors_total\[/)
    expect(queries("Work queue depth").join()).toContain("workqueue_depth")
  })

  it("Quay requests by status, 429s, latency and availability", () => {
    expect(queries("Quay requests by status").join()).toMatch(/sum by \(status\) \(rate\(quay_api_requests_total\[/)
    expect(queries("Quay throttling (429)").join()).toContain('quay_api_requests_total{status="429"}')
    expect(queries("Quay latency").join()).toContain("quay_api_request_duration_seconds_bucket")
    expect(queries("Quay availability").join()).toContain("redhat_appstudio_imagecontroller_global_quay_app_available")
  })

  it("the age of each object's credentials", () => {
    expect(queries("Credential age (oldest 10)").join()).toContain("imagerepository_credentials_age_seconds")
  })
})
