/**
 * What every entry point that talks to a real cluster and a real Quay shares: the apiserver (KUBECONFIG, else
 * ~/.kube/config, else in-cluster) and Quay (QUAY_API_URL, QUAY_ORG, QUAY_TOKEN or the mounted quaytoken Secret, ...)
 * configured from the environment, logging (LOG_LEVEL, default Info; LOG_FORMAT pretty, json or logfmt), and how the
 * process runs and ends.
 */
// The module, not the package barrel, which loads every platform-node module (cluster, workers, sockets).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, ConfigError, Console, Effect, Layer, Logger, LogLevel } from "effect"
import { failureMessage } from "../domain/FailureMessage.ts"
import * as KubernetesLive from "../layers/KubernetesLive.ts"
import * as QuayHttp from "../layers/QuayHttp.ts"

export const liveServices = () =>
  Layer.mergeAll(
    KubernetesLive.layerConfig(KubernetesLive.configFromEnvironment),
    QuayHttp.layerConfig(QuayHttp.configFromEnvironment)
  )

/** The minimum log level, and the logger: pretty for people at a terminal, json or logfmt for a log pipeline. */
export const logging = Config.all({
  level: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  format: Config.literal("pretty", "json", "logfmt")("LOG_FORMAT").pipe(Config.withDefault("pretty"))
}).pipe(
  Config.map(({ format, level }) => ({
    level,
    logger: format === "json" ? Logger.json : format === "logfmt" ? Logger.logFmt : Logger.pretty
  }))
)

/** One line on stderr: what is wrong, without stack traces or configuration values. */
const describe = (error: unknown): string =>
  ConfigError.isConfigError(error) ? `configuration: ${String(error)}` : failureMessage(error)

/**
 * Runs an entry point until it ends or SIGTERM interrupts it: a failure is one line on stderr and exit code 1, a
 * number it returns is the exit code.
 */
export const runEntryPoint = (name: string, program: Effect.Effect<number | void, unknown>): void =>
  program.pipe(
    Effect.flatMap((code) => Effect.sync(() => { if (typeof code === "number") process.exitCode = code })),
    Effect.tapError((error) => Console.error(`${name}: ${describe(error)}`)),
    // The logger is chosen from LOG_FORMAT; runMain's own pretty logger would log every line twice.
    NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
  )
