/**
 * `npm run local`: the operator on its embedded local default. Brings up the project's local control plane
 * (building it the first time), starts the Quay API simulator on 127.0.0.1, and runs the operator against both
 * until Ctrl-C. The control plane stays up afterwards (`npm run cluster -- down` stops it).
 *
 * Environment: LOCAL_QUAY_PORT (default 8555), LOCAL_QUAY_PLAN (paid | free, default paid), LOG_LEVEL.
 */
import { randomBytes } from "node:crypto"
import * as Path from "node:path"
import { NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, FiberRef, Layer, LogLevel, Redacted, Schema } from "effect"
import * as ControlPlane from "../cluster/ControlPlane.ts"
import * as KubernetesLive from "../layers/KubernetesLive.ts"
import * as QuayHttp from "../layers/QuayHttp.ts"
import * as Manager from "../runtime/Manager.ts"
import * as QuaySimulator from "../simulator/QuaySimulator.ts"
import * as Controllers from "./controllers.ts"

const organization = "local-org"

const main = Effect.gen(function*() {
  const port = yield* Config.port("LOCAL_QUAY_PORT").pipe(Config.withDefault(8555))
  const plan = yield* Config.literal("paid", "free")("LOCAL_QUAY_PLAN").pipe(Config.withDefault("paid" as const))
  const logLevel = yield* Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
  // For the rest of this fiber and every fiber it forks (the controller's), not just the final wait.
  yield* FiberRef.set(FiberRef.currentMinimumLogLevel, logLevel)

  yield* Console.log("starting the local control plane (the first run builds it from the Go module proxy: minutes)")
  const plane = yield* ControlPlane.up({ onProgress: (line) => process.stderr.write(`  ${line}\n`) })
  const token = Redacted.make(randomBytes(24).toString("hex"))
  const sim = yield* QuaySimulator.start({ port, organization, token, plan })

  const live = Layer.mergeAll(
    KubernetesLive.layerFromFile(plane.kubeconfig),
    QuayHttp.layer({ apiUrl: sim.apiUrl, organization, token })
  )
  const context = yield* Layer.build(live)
  yield* Manager.run({ controllers: [Controllers.imageRepositories()] }).pipe(Effect.provide(context))

  const kubeconfig = Path.relative(process.cwd(), plane.kubeconfig)
  yield* Console.log(
    [
      "",
      "image-repository-operator is running locally.",
      `  apiserver:      KUBECONFIG=${kubeconfig}`,
      `  Quay simulator: ${sim.apiUrl} (organization ${organization}, ${plan} plan); state at ${sim.url}/_sim/state`,
      "",
      "Try it:",
      `  export KUBECONFIG=${kubeconfig}`,
      "  kubectl apply -f config/samples/imagerepository.yaml",
      "  kubectl apply -f config/samples/component-imagerepository.yaml   # a Component's repository",
      "  kubectl get imagerepositories -n test-ns",
      "",
      "Ctrl-C stops the operator and the simulator; `npm run cluster -- down` stops the control plane.",
      ""
    ].join("\n")
  )
  return yield* Effect.never
})

const describe = (error: unknown): string =>
  Schema.is(Schema.Struct({ message: Schema.String }))(error) ? error.message : String(error)

main.pipe(
  Effect.scoped,
  Effect.tapError((error) => Console.error(`npm run local: ${describe(error)}`)),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
