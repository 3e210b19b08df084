/**
 * One controller's turn on the shared control plane: its CRDs installed, a fresh Quay simulator (same latency and
 * limits for every controller), a fresh namespace, and helpers to create objects and count what the controller
 * cost. Controllers run one after the other, never at once; closing the stage drops its namespace.
 */
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, type Layer, type Scope } from "effect"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import * as Cluster from "./Cluster.ts"
import * as ControllerProcess from "./ControllerProcess.ts"
import * as ReadyTracker from "./ReadyTracker.ts"

export interface StageOptions {
  readonly which: ControllerProcess.Which
  readonly latencyMs: number
  /** quay.io's nginx limit per client IP; none when absent. */
  readonly rateLimit?: { readonly rate: number; readonly burst: number } | undefined
  /** Serve the simulator over TLS with ALPN (h2 and http/1.1), as quay.io does; the controller trusts its certificate. */
  readonly tls?: boolean | undefined
  /** Keep the simulator's request timeline (`sim.timeline`) for a request trace. */
  readonly recordTimeline?: boolean | undefined
}

export interface Stage {
  readonly cluster: Cluster.Cluster
  readonly which: ControllerProcess.Which
  readonly namespace: string
  readonly sim: QuaySimulator.RunningSimulator
  readonly quay: ControllerProcess.QuayEndpoint
  readonly tracker: ReadyTracker.ReadyTracker
  readonly context: Layer.Layer<Kubernetes>
}

/** Which CRDs are on the cluster now: installing them is slow, so only when the flavour changes. */
let installed: "Ours" | "Original" | undefined

const ensureCrds = (cluster: Cluster.Cluster, which: ControllerProcess.Which) =>
  Effect.gen(function*() {
    if (installed === which._tag) return
    installed = undefined
    yield* Cluster.installCrds(cluster, which._tag === "Ours" ? { _tag: "Ours" } : { _tag: "Original", original: which.original })
    installed = which._tag
  })

/** Puts this operator's CRDs back (what the control plane starts with), for the cluster tests that follow. */
export const restoreOurCrds = (cluster: Cluster.Cluster) => ensureCrds(cluster, { _tag: "Ours", settings: { workers: 1 } })

export const make = (cluster: Cluster.Cluster, options: StageOptions): Effect.Effect<Stage, Cluster.ClusterError | QuaySimulator.SimError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* ensureCrds(cluster, options.which)
    const token = randomBytes(16).toString("hex")
    const organization = "bench-org"
    const sim = yield* QuaySimulator.start({
      organization,
      token,
      plan: "paid",
      latencyMs: options.latencyMs,
      tls: options.tls === true,
      recordTimeline: options.recordTimeline === true,
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit.rate, rateLimitBurst: options.rateLimit.burst })
    })
    const caFile = sim.certificatePem === undefined ? undefined : yield* certificateFile(sim.certificatePem)
    const namespace = `bench-${randomBytes(4).toString("hex")}`
    yield* Effect.acquireRelease(Cluster.createNamespace(cluster, namespace), () =>
      Cluster.dropNamespace(cluster, namespace).pipe(Effect.ignore))
    const context = cluster.live
    const tracker = yield* ReadyTracker.track(namespace).pipe(Effect.provide(context))
    return { cluster, which: options.which, namespace, sim, quay: { apiUrl: sim.apiUrl, organization, token, caFile }, tracker, context }
  })

/** The simulator's certificate in a temporary file, for the controller to trust; removed with the scope. */
const certificateFile = (pem: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bench-quay-ca-"))
      Fs.writeFileSync(Path.join(dir, "ca.pem"), pem)
      return Path.join(dir, "ca.pem")
    }),
    (file) => Effect.sync(() => Fs.rmSync(Path.dirname(file), { recursive: true, force: true }))
  )

/** Starts the stage's controller (stopped when the scope closes). */
export const launch = (stage: Stage) => ControllerProcess.start(stage.which, stage.cluster.kubeconfig, stage.quay)

export interface ComponentOf {
  readonly component: string
  readonly application: string
}

/**
 * What a component repository needs around it, created before the measurement: its Application and Component
 * (the original waits for the Component) and the pipeline ServiceAccount its push Secret is linked to.
 */
export const setUpComponents = (stage: Stage, components: ReadonlyArray<ComponentOf>) =>
  Effect.gen(function*() {
    if (components.length === 0) return
    // Only the original reads Applications (for its application pull Secret); this operator's CRDs do not define them.
    const applications = stage.which._tag === "Original" ? [...new Set(components.map((c) => c.application))] : []
    const items = [
      ...applications.map((application) => ({
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "Application",
        metadata: { name: application, namespace: stage.namespace },
        spec: { displayName: application }
      })),
      ...components.flatMap(({ component, application }) => [
        {
          apiVersion: "appstudio.redhat.com/v1alpha1",
          kind: "Component",
          metadata: { name: component, namespace: stage.namespace },
          // application-api's CRD requires a source; this operator's keeps any spec.
          spec: { componentName: component, application, source: { git: { url: `https://example.invalid/${component}` } } }
        },
        {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: ControllerProcess.pipelineAccountTemplate.replace("{component}", component), namespace: stage.namespace }
        }
      ])
    ]
    const file = Path.join(Os.tmpdir(), `bench-setup-${stage.namespace}.json`)
    Fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items }))
    yield* Cluster.kubectl(stage.cluster, ["create", "-f", file])
    Fs.rmSync(file, { force: true })
  })

export const componentLabels = (of: ComponentOf) => ({
  "appstudio.redhat.com/component": of.component,
  "appstudio.redhat.com/application": of.application
})

/** Creates ImageRepositories, `concurrency` at a time; each one's create time (performance.now()) by name. */
export const createImageRepositories = (
  stage: Stage,
  objects: ReadonlyArray<{ readonly name: string; readonly labels?: Readonly<Record<string, string>> | undefined }>,
  concurrency = 32
) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const createdAt = new Map<string, number>()
    yield* Effect.forEach(objects, ({ name, labels }) =>
      Effect.gen(function*() {
        const at = performance.now()
        yield* kube.create(Kinds.ImageRepository, {
          apiVersion: "appstudio.redhat.com/v1alpha1",
          kind: "ImageRepository",
          metadata: { name, namespace: stage.namespace, ...(labels === undefined ? {} : { labels }) }
        })
        createdAt.set(name, at)
      }), { concurrency, discard: true })
    return createdAt
  }).pipe(Effect.provide(stage.context), Effect.orDie)

/** Quay API requests the simulator has answered (429s included), and the 429s among them. */
export const quayCounts = (stage: Stage) => {
  const counts = stage.sim.model.requestCounts()
  const tooMany = Object.values(counts.byEndpoint).reduce((sum, statuses) => sum + (statuses["429"] ?? 0), 0)
  return { total: counts.total, tooMany }
}

/** Mean time of one apiserver write here (a Secret create), for the limits that include writes. */
export const writeRoundTripMs = (stage: Stage, samples = 20) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const started = performance.now()
    for (let i = 0; i < samples; i++) {
      yield* kube.create(Kinds.Secret, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `bench-probe-${i}`, namespace: stage.namespace }
      })
    }
    return (performance.now() - started) / samples
  }).pipe(Effect.provide(stage.context), Effect.orDie)
