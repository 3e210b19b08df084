/**
 * Scenario 5: memory. This operator as the shipped Deployment runs it (the compiled operator, the manifest's
 * NODE_OPTIONS and environment, /metrics and the probes on, leader election) against 20,000 Secrets it has nothing to
 * do with: resident set and V8 heap in use at start, then once 200, 2,000 and 10,000 ImageRepositories are ready and
 * it has settled, and after a restart with all of them ready. The limit is the manifest's memory limit; the targets
 * are the issue's (≤ 100 MB with 200, ≤ 150 MB with 10,000). The original runs the same steps up to
 * `originalSizes` (it provisions one object at a time, so 10,000 would take hours here).
 */
import { defaultWorkers } from "../../src/runtime/Controller.ts"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Duration, Effect, Option } from "effect"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { freePort } from "../../src/cluster/FreePort.ts"
import * as Figure from "../Figure.ts"
import * as Cluster from "../harness/Cluster.ts"
import * as ControllerProcess from "../harness/ControllerProcess.ts"
import * as Deployment from "../harness/Deployment.ts"
import * as SideBySide from "../harness/SideBySide.ts"
import * as Stage from "../harness/Stage.ts"
import type { Figure as FigureType, Scenario, Target } from "../Scenario.ts"
import { scaled } from "../Scenario.ts"

const mebibyte = 1024 * 1024
/** How long a controller is left alone before a sample: caches filled, start-up garbage collected. */
const settleTime = Duration.seconds(15)
/** The original provisions one object at a time with 8-9 Quay requests each: beyond this it would run for hours. */
const originalSizes = 200
/** The Quay client's limit while provisioning (the default 5 req/s would take 100 minutes for 10,000 objects). */
const provisioningRate = "1000"

interface Sample {
  readonly point: string
  readonly rssBytes: number
  /** V8 heap in use, from the operator's /metrics; none for the original (its metrics are off). */
  readonly heapBytes: number | undefined
}

interface Measured {
  readonly samples: ReadonlyArray<Sample>
  /** The process's highest resident set (VmHWM) over every run. */
  readonly peakBytes: number
}

const highWaterMark = (pid: number): number => {
  const line = /VmHWM:\s+(\d+) kB/.exec(Fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  return line === null ? 0 : Number(line[1]) * 1024
}

const scrapeHeap = (port: number | undefined): Effect.Effect<number | undefined> =>
  port === undefined ? Effect.succeed(undefined) : Effect.promise(async () => {
    const body = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text()).catch(() => "")
    const match = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)$/m.exec(body)
    return match === null ? undefined : Number(match[1])
  })

/** Secrets of nobody's concern, spread over namespaces of 1,000: the operator must not hold them. */
const createUnrelatedSecrets = (cluster: Cluster.Cluster, count: number) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const namespaces = Array.from({ length: Math.ceil(count / 1000) }, (_, i) => `bench-unrelated-${i}`)
    for (const namespace of namespaces) {
      yield* Effect.acquireRelease(Cluster.createNamespace(cluster, namespace), () =>
        Cluster.dropNamespace(cluster, namespace).pipe(Effect.ignore))
    }
    // About the size of a real credential Secret; the value is not a credential.
    const value = Buffer.from("x".repeat(600)).toString("base64")
    yield* Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
      kube.create(Kinds.Secret, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `unrelated-${i}`, namespace: namespaces[Math.floor(i / 1000)] ?? "default", labels: { app: "unrelated" } },
        type: "Opaque",
        data: { config: value }
      }), { concurrency: 16, discard: true })
  }).pipe(Effect.provide(cluster.live), Effect.orDie)

/** One controller through the sizes: started, sampled at start and after each size is ready, then restarted. */
const measure = (
  cluster: Cluster.Cluster,
  which: ControllerProcess.Which,
  sizes: ReadonlyArray<number>,
  kubeconfig: string,
  progress: (line: string) => void
) =>
  Effect.gen(function*() {
    const stage = yield* Stage.make(cluster, { which, latencyMs: 0 })
    const metricsPort = which._tag === "Ours" ? yield* Effect.orDie(freePort) : undefined
    const healthPort = yield* Effect.orDie(freePort)
    const launched = which._tag === "Ours"
      ? {
        ...which,
        settings: {
          ...which.settings,
          environment: {
            ...which.settings.environment,
            METRICS_PORT: String(metricsPort),
            HEALTH_PORT: String(healthPort),
            LEASE_NAMESPACE: stage.namespace,
            POD_NAME: "bench-operator"
          }
        }
      }
      : which
    const samples: Array<Sample> = []
    let peakBytes = 0
    // This operator's /readyz answers once its caches are filled: a loaded machine can take longer than the settle time.
    const readyz = Effect.promise(() =>
      fetch(`http://127.0.0.1:${healthPort}/readyz`).then((response) => response.ok).catch(() => false)
    )
    const sample = (controller: ControllerProcess.ControllerProcess, point: string) =>
      Effect.gen(function*() {
        if (which._tag === "Ours") {
          yield* ControllerProcess.awaitCondition(controller, readyz, "ready (/readyz)", Duration.minutes(5), Duration.seconds(1))
        }
        yield* Effect.sleep(settleTime)
        if (controller.exited()) {
          return yield* new ControllerProcess.ControllerProcessError({
            reason: `${controller.label} exited before the sample ${point}; see ${controller.logFile}`
          })
        }
        const rssBytes = yield* controller.rssBytes
        const heapBytes = yield* scrapeHeap(metricsPort)
        peakBytes = Math.max(peakBytes, highWaterMark(controller.pid))
        samples.push({ point, rssBytes, heapBytes })
        progress(`    ${point}: RSS ${(rssBytes / mebibyte).toFixed(1)} MB${heapBytes === undefined ? "" : `, heap ${(heapBytes / mebibyte).toFixed(1)} MB`}`)
      })

    const names: Array<string> = []
    yield* Effect.scoped(Effect.gen(function*() {
      const controller = yield* ControllerProcess.start(launched, kubeconfig, stage.quay)
      yield* sample(controller, "start")
      for (const size of sizes) {
        const added = Array.from({ length: size - names.length }, (_, i) => `repo-${names.length + i}`)
        yield* Stage.createImageRepositories(stage, added.map((name) => ({ name })))
        names.push(...added)
        yield* ControllerProcess.awaitCondition(
          controller,
          Effect.sync(() => names.every((name) => stage.tracker.readyAt.has(name) || stage.tracker.failed.has(name))),
          `${size} ImageRepositories ready`,
          Duration.minutes(40),
          Duration.seconds(1)
        )
        yield* sample(controller, `${size}`)
      }
    }))
    // A pod that starts with every object ready: caches filled by one list, no provisioning.
    yield* Effect.scoped(Effect.gen(function*() {
      const controller = yield* ControllerProcess.start(launched, kubeconfig, stage.quay)
      yield* sample(controller, `restart with ${names.length}`)
    }))
    return { samples, peakBytes } satisfies Measured
  })

const mb = (bytes: number) => Math.round((bytes / mebibyte) * 10) / 10

export const memory: Scenario = {
  name: "memory",
  title: "memory as the Deployment runs it: at start, with 200, 2,000 and 10,000 ImageRepositories, 20,000 unrelated Secrets",
  run: (context) =>
    Effect.gen(function*() {
      const sizes = [200, 2_000, 10_000].map((size) => scaled(context, size))
      const unrelated = scaled(context, 20_000)
      const cluster = yield* Cluster.up(context)
      const deployed = yield* Deployment.read(cluster)
      context.progress("  building the operator as the image does (npm run build:image)")
      const entry = yield* Deployment.build
      const directory = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "bench-memory-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const kubeconfig = yield* Deployment.jsonKubeconfig(cluster, Path.join(directory, "kubeconfig.json"))
      context.progress(`  ${unrelated} unrelated Secrets`)
      yield* createUnrelatedSecrets(cluster, unrelated)
      // Workers at the operator's default, as the Deployment runs it.
      const ours: ControllerProcess.OurSettings = {
        requestsPerSecond: Number(provisioningRate),
        burst: Number(provisioningRate),
        entry,
        nodeArguments: deployed.nodeArguments,
        environment: { ...deployed.environment, LOG_LEVEL: "WARN" }
      }
      const pair = yield* SideBySide.run(context, ours, (cluster, which) =>
        measure(cluster, which, which._tag === "Ours" ? sizes : sizes.filter((size) => size <= originalSizes), kubeconfig, context.progress))

      const theirs = Option.getOrUndefined(pair.original)
      const originalAt = (point: string) => theirs?.samples.find((s) => s.point === point)
      const limitMb = mb(deployed.memoryLimitBytes)
      const targetAt = (size: number): Target | undefined =>
        size === sizes[0] ? Figure.atMost(100) : size === sizes[2] ? Figure.atMost(150) : undefined
      const figures: Array<FigureType> = []
      for (const s of pair.ours.samples) {
        const size = Number(s.point)
        const what = s.point === "start" ? "at start, no ImageRepositories" : Number.isNaN(size) ? s.point : `with ${s.point} ImageRepositories`
        const original = originalAt(s.point)
        figures.push(Figure.make({
          label: `RSS ${what}`,
          value: mb(s.rssBytes),
          unit: "MB",
          limit: limitMb,
          original: original === undefined ? undefined : mb(original.rssBytes),
          target: Number.isNaN(size) ? undefined : targetAt(size)
        }))
        if (s.heapBytes !== undefined) figures.push(Figure.make({ label: `V8 heap in use ${what}`, value: mb(s.heapBytes), unit: "MB" }))
      }
      figures.push(Figure.make({
        label: "peak RSS over the run (VmHWM)",
        value: mb(pair.ours.peakBytes),
        unit: "MB",
        limit: limitMb,
        original: theirs === undefined ? undefined : mb(theirs.peakBytes),
        target: Figure.ratioToLimitAtMost(0.9)
      }))
      return {
        settings: {
          imageRepositories: sizes.join(" / "),
          unrelatedSecrets: unrelated,
          nodeOptions: deployed.environment["NODE_OPTIONS"] ?? "",
          nodeArguments: deployed.nodeArguments.join(" "),
          memoryRequestMiB: mb(deployed.memoryRequestBytes),
          memoryLimitMiB: limitMb,
          workers: defaultWorkers,
          quayClientLimitWhileProvisioning: `${provisioningRate} req/s`,
          settleSeconds: Duration.toSeconds(settleTime)
        },
        figures,
        notes: [
          ...pair.notes,
          `this operator ran as the Deployment runs it: \`node ${deployed.nodeArguments.join(" ")} dist/image/operator.js\` (the image's ENTRYPOINT and bundle, built as the image builds it) with the ` +
          "manifest's literal environment (NODE_OPTIONS, LOG_FORMAT, METRICS_PORT and HEALTH_PORT on, LEADER_ELECTION) and " +
          "NODE_ENV=production; the memory limit is not enforced here (V8 sizes its heap from NODE_OPTIONS, as in the pod), " +
          "each figure's ratio is to the manifest's limit",
          "its kubeconfig is the cluster's as JSON, read without @kubernetes/client-node as a pod's service account is",
          `the Quay client limit is raised to ${provisioningRate} req/s for provisioning only, so 10,000 objects take minutes ` +
          "rather than 100 (a setting of the client's token bucket, not of memory); LOG_LEVEL=WARN",
          `each sample is taken ${Duration.toSeconds(settleTime)} s after /readyz answers and the step's last object is ready; "restart" is a fresh ` +
          "process started with every object ready",
          `the original runs the same steps up to ${originalSizes} objects (one worker, 8-9 Quay requests per object)`,
          `RSS in MB of 2^20 bytes; the unrelated Secrets (${unrelated}) exist from before the first sample`
        ]
      }
    }).pipe(Effect.timeout(Duration.minutes(90)), Effect.catchTag("TimeoutException", () => Effect.dieMessage("memory: over 90 minutes")))
}
