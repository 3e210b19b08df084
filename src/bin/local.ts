/**
 * `npm run local`: the operator on its embedded local default, everything shown working. Brings up the project's
 * local control plane (building it the first time, with progress), starts the Quay API simulator on 127.0.0.1 with
 * a real registry behind its /v2/ (also built the first time), runs the operator against them with /metrics,
 * applies config/samples (one per example of the spec document), waits until they are ready and prints them as
 * `kubectl get imagerepositories -A` does. Runs until Ctrl-C, then stops everything it started (a control plane
 * that was already running stays up).
 *
 * Environment: LOCAL_QUAY_PORT (default 8555), LOCAL_QUAY_PLAN (paid | free, default paid), LOCAL_METRICS_PORT
 * (default: any free port), LOG_LEVEL, CLUSTER_STATE_DIR (the control plane's state, as `npm run cluster` takes it;
 * default `.local/cluster`).
 */
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as Path from "node:path"
import { Clock, Config, Console, Duration, Effect, FiberRef, Layer, LogLevel, Option, Redacted, Schema } from "effect"
import * as ControlPlane from "../cluster/ControlPlane.ts"
import { ImageRepository } from "../domain/ImageRepository.ts"
import * as KubernetesLive from "../layers/KubernetesLive.ts"
import * as QuayHttp from "../layers/QuayHttp.ts"
import * as CleanupDeadline from "../programs/CleanupDeadline.ts"
import * as OperatorConfig from "../runtime/OperatorConfig.ts"
import * as Telemetry from "../runtime/Telemetry.ts"
import * as Kinds from "../services/ResourceKind.ts"
import * as LocalRegistry from "../simulator/LocalRegistry.ts"
import * as QuaySimulator from "../simulator/QuaySimulator.ts"
import { runEntryPoint } from "./entryPoint.ts"
import { runOperator } from "./runOperator.ts"

const organization = "local-org"
const samples = Path.join(ControlPlane.projectRoot, "config", "samples")

const kubectl = (kubeconfig: string, args: ReadonlyArray<string>) =>
  Effect.async<string, Error>((resume) => {
    execFile("kubectl", ["--kubeconfig", kubeconfig, ...args], (error, stdout, stderr) =>
      resume(error === null ? Effect.succeed(stdout) : Effect.fail(new Error(`kubectl ${args.join(" ")}: ${stderr || error.message}`))))
  })

/** The samples' ImageRepositories as `kubectl get imagerepositories -A` prints them (its printer columns). */
const table = (objects: ReadonlyArray<ImageRepository>): string => {
  const rows = [["NAMESPACE", "NAME", "IMAGE", "VISIBILITY", "STATE"], ...objects.map((ir) => [
    ir.metadata.namespace ?? "",
    ir.metadata.name,
    ir.status?.image?.url ?? "",
    ir.status?.image?.visibility ?? "",
    ir.status?.state ?? ""
  ])]
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? []
  return rows.map((row) => row.map((cell, i) => cell.padEnd((widths[i] ?? 0) + 3)).join("").trimEnd()).join("\n")
}

const main = Effect.gen(function*() {
  const port = yield* Config.port("LOCAL_QUAY_PORT").pipe(Config.withDefault(8555))
  const plan = yield* Config.literal("paid", "free")("LOCAL_QUAY_PLAN").pipe(Config.withDefault("paid" as const))
  const metricsPort = yield* Config.port("LOCAL_METRICS_PORT").pipe(Config.withDefault(0))
  const logLevel = yield* Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
  const stateDir = yield* Config.string("CLUSTER_STATE_DIR").pipe(Config.withDefault(""))
  const where: ControlPlane.ControlPlaneOptions = stateDir === "" ? {} : { stateDir }
  // For the rest of this fiber and every fiber it forks (the controller's), not just the final wait.
  yield* FiberRef.set(FiberRef.currentMinimumLogLevel, logLevel)
  const started = yield* Clock.currentTimeMillis
  const progress = (line: string) =>
    process.stderr.write(`  [${Duration.format(Duration.seconds(Math.round((Date.now() - started) / 1000)))}] ${line}\n`)

  yield* Console.log("starting the local control plane (the first run builds it from the Go module proxy: minutes)")
  const plane = yield* ControlPlane.up({ ...where, onProgress: progress })
  // Stops on Ctrl-C what this run started; a control plane that was already up stays up.
  if (plane.started) {
    yield* Effect.addFinalizer(() =>
      ControlPlane.down(where).pipe(
        Effect.tap(() => progress("control plane stopped")),
        Effect.catchAll((error) => Console.error(`could not stop the control plane: ${error.message}`))
      )
    )
  }
  const token = Redacted.make(randomBytes(24).toString("hex"))
  const sim = yield* QuaySimulator.start({ port, organization, token, plan })
  const registryBinaries = yield* LocalRegistry.ensureBinaries({ onProgress: progress })
  yield* LocalRegistry.start(sim, registryBinaries)

  const context = yield* Layer.build(Layer.mergeAll(
    KubernetesLive.layer({ kubeconfig: plane.kubeconfig }),
    QuayHttp.layer({ apiUrl: sim.apiUrl, organization, token }),
    Telemetry.layer({ metricsPort, metricsHost: "127.0.0.1" }),
    CleanupDeadline.layer(Duration.minutes(5))
  ))
  // The operator as it runs in a cluster, on its defaults (and the environment's settings, as `npm start` reads them).
  const manager = yield* runOperator(yield* OperatorConfig.load, 0).pipe(Effect.provide(context))
  const metricsUrl = Option.match(yield* Effect.map(Telemetry.Telemetry, (t) => t.metricsPort).pipe(Effect.provide(context)), {
    onNone: () => "off",
    onSome: (p) => `http://127.0.0.1:${p}/metrics`
  })

  progress("applying config/samples")
  yield* kubectl(plane.kubeconfig, ["apply", "-f", samples])
  const isImageRepository = Schema.is(ImageRepository)
  const cached = Effect.map(manager.cached(Kinds.ImageRepository), (all) => all.filter(isImageRepository))
  // Until every sample has settled (ready, or failed as a free plan fails a private one), two minutes at most.
  let objects = yield* cached
  for (let second = 0; second < 120; second++) {
    if (objects.length > 0 && objects.every((ir) => ir.status?.state === "ready" || ir.status?.state === "failed")) break
    yield* Effect.sleep("1 second")
    objects = yield* cached
  }

  const kubeconfig = Path.relative(process.cwd(), plane.kubeconfig)
  yield* Console.log(
    [
      "",
      table(objects),
      "",
      "image-repository-operator is running locally.",
      `  export KUBECONFIG=${kubeconfig}`,
      `  metrics:        ${metricsUrl}`,
      `  Quay simulator: ${sim.apiUrl} (organization ${organization}, ${plan} plan); state at ${sim.url}/_sim/state`,
      `  registry:       ${sim.registryHost} (push with a Secret's credentials, e.g. crane in ${registryBinaries.dir})`,
      "",
      "Try it: kubectl get imagerepositories -A; kubectl describe imagerepository -n test-ns imagerepository-sample",
      `Ctrl-C stops the operator, the simulator${plane.started ? " and the control plane" : ""}.`,
      ""
    ].join("\n")
  )
  return yield* Effect.never
})

runEntryPoint("npm run local", Effect.scoped(main))
