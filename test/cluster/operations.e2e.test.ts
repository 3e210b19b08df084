/**
 * The operator as a platform team runs it: the image's bundle (`npm run build:image`, dist/image/) on plain `node`, the quaytoken Secret as mounted
 * files (rotated without a restart), kubebuilder's flags, the probes, Prometheus' /metrics with the original's and
 * controller-runtime's metric names, the Events `kubectl describe` shows, and its spans over OTLP.
 */
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ImageBundle from "../../scripts/image/bundle.ts"
import * as FreePort from "../../src/cluster/FreePort.ts"
import { operatorScopes } from "../../src/simulator/model/state.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { applyYaml, getImageRepository, imageRepository, mergePatch, newNamespace, organization, ready } from "./e2e/Rig.ts"
import { scanAll } from "../support/TokenScan.ts"
import { type OtlpReceiver, startOtlpReceiver } from "../support/OtlpReceiver.ts"
import { eventually, kubectl } from "./e2e/kubectl.ts"
import { type OperatorProcess, startOperator } from "./e2e/OperatorProcess.ts"
import { kubeconfigPath } from "./support.ts"

/** A free port on loopback, for the operator's own listeners. */
const freePort = (): Promise<number> => Effect.runPromise(FreePort.freePort)

const get = async (port: number, path: string) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: response.status, body: await response.text() }
}

/** The value of the first series of `metric` whose labels include every given one. */
const sample = (scrape: string, metric: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of scrape.split("\n")) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1))
  }
  return undefined
}

interface EventJson {
  readonly reason: string
  readonly type: string
  readonly note?: string
  readonly series?: { readonly count: number }
  readonly regarding: { readonly name: string }
}

const eventsIn = async (namespace: string): Promise<ReadonlyArray<EventJson>> =>
  (JSON.parse(await kubectl(["get", "events.events.k8s.io", "-n", namespace, "-o", "json"])) as {
    readonly items: ReadonlyArray<EventJson>
  }).items

/** The Event about `name` with this reason, once the operator has recorded it. */
const eventOf = (namespace: string, name: string, reason: string) =>
  eventually(`the ${reason} Event of ${name}`, async () =>
    (await eventsIn(namespace)).find((e) => e.regarding.name === name && e.reason === reason))

describe("the operator as deployed: built JavaScript, mounted token, metrics, probes, Events, traces", () => {
  const scope = Effect.runSync(Scope.make())
  const firstToken = randomBytes(16).toString("hex")
  const tokenDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "quaytoken-"))
  let sim: QuaySimulator.RunningSimulator
  let namespace: string
  let operator: OperatorProcess
  let metricsPort: number
  let healthPort: number
  let otlp: OtlpReceiver
  // Every token of the run, sampled as it goes (a rotated robot token is still known): none may reach an Event or a span.
  const tokens = new Set<string>([firstToken])
  const sampleTokens = () => {
    for (const robot of sim.model.snapshot().robots) {
      const token = sim.model.robotToken(robot.shortName)
      if (token !== undefined) tokens.add(token)
    }
  }
  let sampler: ReturnType<typeof setInterval> | undefined

  beforeAll(async () => {
    await ImageBundle.bundle()
    sim = await Effect.runPromise(
      QuaySimulator.start({ organization, token: Redacted.make(firstToken), plan: "paid" }).pipe(Scope.extend(scope))
    )
    // The spec's quaytoken Secret, as the kubelet mounts it.
    Fs.writeFileSync(Path.join(tokenDir, "organization"), organization)
    Fs.writeFileSync(Path.join(tokenDir, "quaytoken"), firstToken)
    Fs.writeFileSync(Path.join(tokenDir, "quayapiurl"), sim.apiUrl)
    namespace = await newNamespace()
    metricsPort = await freePort()
    healthPort = await freePort()
    otlp = await startOtlpReceiver()
    sampler = setInterval(sampleTokens, 50)
    operator = startOperator("operations", {
      KUBECONFIG: kubeconfigPath(),
      WATCH_NAMESPACE: namespace,
      QUAY_SECRET_MOUNT_POINT: tokenDir,
      LOG_FORMAT: "json",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint
    }, {
      entry: ImageBundle.imageEntry,
      args: [`--metrics-bind-address=:${metricsPort}`, `--health-probe-bind-address=:${healthPort}`]
    })
  }, 240_000)

  afterAll(async () => {
    await kubectl(["delete", "imagerepositories", "--all", "-n", namespace, "--wait=true", "--timeout=60s"])
    await operator.stop("SIGTERM")
    clearInterval(sampler)
    await otlp.close()
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await kubectl(["delete", "namespace", namespace, "--wait=false"])
    Fs.rmSync(tokenDir, { recursive: true, force: true })
  })

  it("provisions from the mounted token and serves the probes and /metrics with sensible values", async () => {
    await applyYaml(imageRepository(namespace, "observed"))
    await ready(namespace, "observed")
    expect(await get(healthPort, "/healthz")).toEqual({ status: 200, body: "ok\n" })
    expect((await get(healthPort, "/readyz")).status).toBe(200)

    const scrape = await eventually("the provisioning in /metrics", async () => {
      const { body } = await get(metricsPort, "/metrics")
      // The availability probe and the token's self-check run beside the first provisioning (they wait for its first
      // Quay call): their samples may come a moment after it.
      return (sample(body, "redhat_appstudio_imagecontroller_image_repository_provision_time_count") ?? 0) >= 1 &&
          sample(body, "redhat_appstudio_imagecontroller_global_quay_app_available") !== undefined &&
          sample(body, "quay_api_requests_total", { endpoint: "/repository", method: "POST", status: "400" }) !== undefined
        ? body
        : undefined
    })
    // The original's names.
    expect(sample(scrape, "redhat_appstudio_imagecontroller_global_quay_app_available")).toBe(1)
    expect(sample(scrape, "redhat_appstudio_imagecontroller_image_repository_provision_time_bucket", { le: "300" })).toBeGreaterThanOrEqual(1)
    // controller-runtime's and client-go's.
    expect(sample(scrape, "controller_runtime_reconcile_total", { controller: "imagerepository", result: "success" })).toBeGreaterThanOrEqual(1)
    expect(sample(scrape, "controller_runtime_reconcile_time_seconds_count", { controller: "imagerepository" })).toBeGreaterThanOrEqual(1)
    expect(sample(scrape, "workqueue_adds_total", { name: "imagerepository" })).toBeGreaterThanOrEqual(1)
    expect(sample(scrape, "workqueue_depth", { name: "imagerepository" })).toBeGreaterThanOrEqual(0)
    expect(sample(scrape, "leader_election_master_status", { name: "imagerepository" })).toBe(1)
    // Quay requests by endpoint, method and status, with their latency.
    expect(sample(scrape, "quay_api_requests_total", { endpoint: "/repository", method: "POST", status: "201" })).toBe(1)
    // The self-check's scope probe (at the first Quay call) is a POST /repository Quay refuses (400): two timed, one created.
    expect(sample(scrape, "quay_api_requests_total", { endpoint: "/repository", method: "POST", status: "400" })).toBe(1)
    expect(sample(scrape, "quay_api_request_duration_seconds_count", { endpoint: "/repository", method: "POST" })).toBe(2)
    // Each object's credential age, from the cache.
    const age = sample(scrape, "imagerepository_credentials_age_seconds", { namespace, name: "observed" })
    expect(age).toBeGreaterThanOrEqual(0)
    expect(age).toBeLessThan(600)
    // No token in what Prometheus reads.
    expect(scrape).not.toContain(firstToken)
  }, 120_000)

  it("records a Normal Event for each transition and a Warning for a reverted change, on events.k8s.io", async () => {
    const provisioned = await eventOf(namespace, "observed", "Provisioned")
    expect(provisioned.type).toBe("Normal")
    expect(provisioned.note).toContain(`${organization}/${namespace}/observed`)

    await mergePatch(namespace, "observed", { spec: { image: { visibility: "private" } } })
    expect((await eventOf(namespace, "observed", "VisibilityChanged")).note).toMatch(/from public to private$/)

    await mergePatch(namespace, "observed", { spec: { credentials: { "regenerate-token": true } } })
    expect((await eventOf(namespace, "observed", "TokenRotated")).note).toMatch(/^Regenerated the tokens of robot accounts /)

    await kubectl(["delete", "secret", "observed-image-push", "-n", namespace])
    expect((await eventOf(namespace, "observed", "SecretRestored")).note).toContain("observed-image-push")

    await mergePatch(namespace, "observed", { spec: { image: { name: "renamed" } } })
    expect((await eventOf(namespace, "observed", "ImageNameImmutable")).type).toBe("Warning")

    await applyYaml(imageRepository(namespace, "short-lived"))
    await ready(namespace, "short-lived")
    await kubectl(["delete", "imagerepository", "short-lived", "-n", namespace, "--wait=true", "--timeout=60s"])
    expect((await eventOf(namespace, "short-lived", "CleanedUp")).type).toBe("Normal")

    // Each once: the converged object's later passes recorded nothing more.
    const events = await eventsIn(namespace)
    const normal = events.filter((e) => e.type === "Normal" && e.regarding.name === "observed")
    expect(normal.map((e) => e.reason).toSorted()).toEqual(["Provisioned", "SecretRestored", "TokenRotated", "VisibilityChanged"])
    expect(normal.every((e) => (e.series?.count ?? 1) === 1)).toBe(true)
    sampleTokens()
    expect(scanAll([{ source: "Events", text: JSON.stringify(events) }], tokens)).toEqual([])
  }, 120_000)

  it("exports its spans over OTLP: a reconcile's and the Quay calls', with no token in any attribute", async () => {
    const spans = await eventually("the reconcile and Quay spans at the OTLP receiver", async () => {
      const received = otlp.spans()
      const reconcile = received.some((s) => s.name === "reconcileImageRepository" && s.attributes["name"] === "observed")
      const quay = received.some((s) => s.name.startsWith("Quay."))
      return reconcile && quay ? received : undefined
    }, 30_000)
    expect(otlp.requests.every((r) => r.path === "/v1/traces" && r.contentType === "application/json")).toBe(true)
    expect(spans.find((s) => s.name === "Quay.createRepository")?.attributes).toBeDefined()
    // The Quay client's HTTP spans carry the request headers, Authorization redacted.
    const http = spans.filter((s) => s.attributes["http.request.header.authorization"] !== undefined)
    expect(http.length).toBeGreaterThan(0)
    expect(new Set(http.map((s) => s.attributes["http.request.header.authorization"]))).toEqual(new Set(["<redacted>"]))
    sampleTokens()
    expect(tokens.size).toBeGreaterThan(2)
    const findings = scanAll(otlp.requests.map((r, i) => ({ source: `OTLP request ${i}`, text: r.body })), tokens)
    expect(findings).toEqual([])
    process.stdout.write(`OTLP: ${otlp.requests.length} requests, ${spans.length} spans, ${tokens.size} tokens looked for\n`)
  }, 60_000)

  it("uses a rotated token file for the next Quay requests, without a restart", async () => {
    const secondToken = randomBytes(16).toString("hex")
    sim.model.addToken(secondToken, operatorScopes)
    Fs.writeFileSync(Path.join(tokenDir, "quaytoken"), secondToken)
    sim.model.revokeToken(firstToken)
    // Only the new token opens Quay now: a new object gets ready only if the operator has picked it up.
    await applyYaml(imageRepository(namespace, "after-rotation"))
    await eventually("ready with the rotated token", async () => {
      const ir = await getImageRepository(namespace, "after-rotation")
      return ir?.status?.state === "ready" ? ir : undefined
    }, 110_000)
    expect(operator.log()).not.toContain(secondToken)
  }, 150_000)
})
