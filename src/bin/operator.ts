/**
 * The operator: reconciles ImageRepositories against Quay until SIGTERM, then finishes the reconciles in
 * flight, releases its Lease and exits.
 *
 * Configuration (environment): see src/runtime/OperatorConfig.ts (WATCH_NAMESPACE, WORKERS, RESYNC_PERIOD,
 * LEADER_ELECTION, LEASE_NAMESPACE, POD_NAME, ...), the Quay layer (QUAY_API_URL, QUAY_ORG, QUAY_TOKEN, ...),
 * and the apiserver connection (KUBECONFIG, else ~/.kube/config, else in-cluster), plus LOG_LEVEL (default Info)
 * LOG_FORMAT (pretty, json or logfmt; default pretty) and HEALTH_PORT (the probes' /healthz and /readyz; default
 * 8081, 0 turns them off), CLEANUP_DEADLINE and ORPHAN_SWEEP_INTERVAL (the periodic orphan sweep; off by default).
 *
 * `operator.js sweep [--dry-run]` runs the orphan sweep once instead (src/bin/sweepCommand.ts), for a Job.
 */
import { Config, Console, Effect, Layer, Logger, Option } from "effect"
import * as CleanupDeadline from "../programs/CleanupDeadline.ts"
import * as HealthServer from "../runtime/HealthServer.ts"
import * as Manager from "../runtime/Manager.ts"
import * as OperatorConfig from "../runtime/OperatorConfig.ts"
import * as Telemetry from "../runtime/Telemetry.ts"
import * as Controllers from "./controllers.ts"
import { liveServices, logging, runEntryPoint } from "./entryPoint.ts"
import { sweepCommand } from "./sweepCommand.ts"

const operator = Effect.gen(function*() {
  // All of the operator's own settings first, so a missing one is reported before any connection is made.
  const config = yield* OperatorConfig.load
  const { level, logger } = yield* logging
  const healthPort = yield* Config.integer("HEALTH_PORT").pipe(
    Config.withDefault(8081),
    Config.validate({ message: "HEALTH_PORT must be a port number, or 0 for none", validation: (p) => p >= 0 && p < 65536 })
  )
  const namespace = Option.getOrUndefined(config.watchNamespace)
  const controller = Layer.scopedDiscard(
    Effect.gen(function*() {
      const running = yield* Manager.run({
        controllers: [Controllers.imageRepositories({ workers: config.workers })],
        tasks: Option.match(config.orphanSweepInterval, {
          onNone: () => [],
          onSome: (interval) => [Controllers.orphanSweep({ interval, namespace })]
        }),
        namespace,
        resyncPeriod: config.resyncPeriod,
        leaderElection: Option.getOrUndefined(config.leaderElection)
      })
      if (healthPort > 0) yield* HealthServer.serve(healthPort, running)
    })
  )
  return yield* Layer.launch(
    controller.pipe(
      Layer.provide(CleanupDeadline.layer(config.cleanupDeadline)),
      Layer.provide(liveServices()),
      Layer.provide(Telemetry.layer()),
      Layer.provide(logger)
    )
  ).pipe(
    Logger.withMinimumLogLevel(level)
  )
})

/** `operator.js` runs the operator; `operator.js sweep [--dry-run]` the orphan sweep once (for a Job). */
const [command, ...args] = process.argv.slice(2)
runEntryPoint(
  "image-repository-operator",
  command === undefined
    ? operator
    : command === "sweep"
    ? sweepCommand(args)
    : Effect.as(Console.error(`unknown command '${command}'; commands: sweep [--dry-run]`), 2)
)
