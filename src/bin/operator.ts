/**
 * The operator: reconciles ImageRepositories against Quay until SIGTERM, then finishes the reconciles in
 * flight, releases its Lease and exits.
 *
 * Configuration (environment, or kubebuilder's flags --leader-elect, --metrics-bind-address,
 * --health-probe-bind-address): see src/runtime/OperatorConfig.ts (WATCH_NAMESPACE, WORKERS, RESYNC_PERIOD,
 * PIPELINE_SERVICE_ACCOUNT, LEADER_ELECTION, LEASE_NAMESPACE, POD_NAME, CLEANUP_DEADLINE, ORPHAN_SWEEP_INTERVAL,
 * ...), the Quay layer
 * (QUAY_API_URL, QUAY_ORG, QUAY_TOKEN or the mounted quaytoken Secret, ...), the apiserver connection (KUBECONFIG,
 * else ~/.kube/config, else in-cluster), telemetry (METRICS_PORT, OTEL_EXPORTER_OTLP_ENDPOINT), LOG_LEVEL,
 * LOG_FORMAT and HEALTH_PORT (the probes' /healthz and /readyz; default 8081, 0 turns them off).
 *
 * `operator.js sweep [--dry-run]` runs the orphan sweep once instead (src/bin/sweepCommand.ts), for a Job.
 */
import { Config, ConfigProvider, Console, Effect, Either, Layer, Logger } from "effect"
import * as CleanupDeadline from "../programs/CleanupDeadline.ts"
import * as OperatorConfig from "../runtime/OperatorConfig.ts"
import * as Telemetry from "../runtime/Telemetry.ts"
import { liveServices, logging, runEntryPoint } from "./entryPoint.ts"
import { runOperator } from "./runOperator.ts"
import { sweepCommand } from "./sweepCommand.ts"

const operator = Effect.gen(function*() {
  // All of the operator's own settings first, so a missing one is reported before any connection is made.
  const config = yield* OperatorConfig.load
  const { level, logger } = yield* logging
  const healthPort = yield* Config.integer("HEALTH_PORT").pipe(
    Config.withDefault(8081),
    Config.validate({ message: "HEALTH_PORT must be a port number, or 0 for none", validation: (p) => p >= 0 && p < 65536 })
  )
  const controller = Layer.scopedDiscard(runOperator(config, healthPort))
  return yield* Layer.launch(
    controller.pipe(
      Layer.provide(CleanupDeadline.layer(config.cleanupDeadline)),
      Layer.provide(liveServices()),
      Layer.provide(Telemetry.layerConfig(Telemetry.configFromEnvironment)),
      Layer.provide(logger)
    )
  ).pipe(
    Logger.withMinimumLogLevel(level)
  )
})

/** The operator with its flags (kubebuilder's names), which win over the environment. */
const withFlags = (args: ReadonlyArray<string>) =>
  Either.match(OperatorConfig.fromArguments(args), {
    onLeft: (usage) => Effect.as(Console.error(`image-repository-operator: ${usage}; commands: sweep [--dry-run]`), 2),
    onRight: (flags) =>
      Effect.withConfigProvider(
        operator,
        ConfigProvider.fromMap(new Map(flags)).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
      )
  })

/** `operator.js [flags]` runs the operator; `operator.js sweep [--dry-run]` the orphan sweep once (for a Job). */
const args = process.argv.slice(2)
runEntryPoint("image-repository-operator", args[0] === "sweep" ? sweepCommand(args.slice(1)) : withFlags(args))
