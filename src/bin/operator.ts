/**
 * The operator: reconciles ImageRepositories against Quay until SIGTERM, then finishes the reconciles in
 * flight, releases its Lease and exits.
 *
 * Configuration (environment): see src/runtime/OperatorConfig.ts (WATCH_NAMESPACE, WORKERS, RESYNC_PERIOD,
 * PIPELINE_SERVICE_ACCOUNT, LEADER_ELECTION, LEASE_NAMESPACE, POD_NAME, ...), the Quay layer (QUAY_API_URL,
 * QUAY_ORG, QUAY_TOKEN, ...), and the apiserver connection (KUBECONFIG, else ~/.kube/config, else in-cluster), plus LOG_LEVEL (default Info)
 * LOG_FORMAT (pretty, json or logfmt; default pretty) and HEALTH_PORT (the probes' /healthz and /readyz; default
 * 8081, 0 turns them off).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Config, ConfigError, Console, Effect, Layer, Logger, LogLevel, Option } from "effect"
import { failureMessage } from "../domain/FailureMessage.ts"
import * as KubernetesLive from "../layers/KubernetesLive.ts"
import * as QuayHttp from "../layers/QuayHttp.ts"
import * as HealthServer from "../runtime/HealthServer.ts"
import * as Manager from "../runtime/Manager.ts"
import * as OperatorConfig from "../runtime/OperatorConfig.ts"
import * as Telemetry from "../runtime/Telemetry.ts"
import * as Controllers from "./controllers.ts"

const main = Effect.gen(function*() {
  // All of the operator's own settings first, so a missing one is reported before any connection is made.
  const config = yield* OperatorConfig.load
  const logLevel = yield* Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
  // Pretty for people at a terminal; json or logfmt for a cluster's log pipeline.
  const logFormat = yield* Config.literal("pretty", "json", "logfmt")("LOG_FORMAT").pipe(Config.withDefault("pretty"))
  const logger = logFormat === "json" ? Logger.json : logFormat === "logfmt" ? Logger.logFmt : Logger.pretty
  const healthPort = yield* Config.integer("HEALTH_PORT").pipe(
    Config.withDefault(8081),
    Config.validate({ message: "HEALTH_PORT must be a port number, or 0 for none", validation: (p) => p >= 0 && p < 65536 })
  )
  const controller = Layer.scopedDiscard(
    Effect.gen(function*() {
      const running = yield* Manager.run({
        controllers: [
          Controllers.imageRepositories({ workers: config.workers, programSettings: config.programSettings })
        ],
        namespace: Option.getOrUndefined(config.watchNamespace),
        resyncPeriod: config.resyncPeriod,
        leaderElection: Option.getOrUndefined(config.leaderElection)
      })
      if (healthPort > 0) yield* HealthServer.serve(healthPort, running)
    })
  )
  const live = Layer.mergeAll(KubernetesLive.layerFromEnvironment(), QuayHttp.layerConfig(QuayHttp.configFromEnvironment))
  return yield* Layer.launch(
    controller.pipe(Layer.provide(live), Layer.provide(Telemetry.layer()), Layer.provide(logger))
  ).pipe(
    Logger.withMinimumLogLevel(logLevel)
  )
})

/** One line on stderr: what is wrong, without stack traces or configuration values. */
const describe = (error: unknown): string => {
  if (ConfigError.isConfigError(error)) return `configuration: ${String(error)}`
  return failureMessage(error)
}

main.pipe(
  Effect.tapError((error) => Console.error(`image-repository-operator: ${describe(error)}`)),
  // The logger is chosen from LOG_FORMAT above; runMain's own pretty logger would log every line twice.
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
