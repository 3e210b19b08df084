/**
 * The orphan sweep on demand: `npm run sweep -- [--dry-run]`, or `node dist/bin/operator.js sweep [--dry-run]` (a
 * Kubernetes Job running the operator's image). Same configuration as the operator (see entryPoint.ts), and
 * WATCH_NAMESPACE keeps it to that namespace's objects. Prints one line per orphan deleted (or, with --dry-run,
 * that it would delete) and a summary; exits 1 when something could not be deleted or checked, 2 on bad usage.
 */
import { Console, Effect, Either, Layer, Logger, Option } from "effect"
import { reportLines, sweepOrphans } from "../programs/sweepOrphans.ts"
import * as OperatorConfig from "../runtime/OperatorConfig.ts"
import { Quay } from "../services/Quay.ts"
import * as Telemetry from "../runtime/Telemetry.ts"
import { liveServices, logging } from "./entryPoint.ts"

export const usage = "usage: sweep [--dry-run]"

export interface SweepArguments {
  readonly dryRun: boolean
}

export const parseArguments = (args: ReadonlyArray<string>): Either.Either<SweepArguments, string> => {
  const unknown = args.filter((a) => a !== "--dry-run")
  return unknown.length > 0
    ? Either.left(`unknown argument '${unknown[0]}'; ${usage}`)
    : Either.right({ dryRun: args.includes("--dry-run") })
}

/** Runs the sweep once and answers the process's exit code. */
export const sweepCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const parsed = parseArguments(args)
    if (Either.isLeft(parsed)) {
      yield* Console.error(parsed.left)
      return 2
    }
    const namespace = Option.getOrUndefined(yield* OperatorConfig.watchNamespace)
    const { level, logger } = yield* logging
    const report = yield* Effect.gen(function*() {
      const quay = yield* Quay
      const report = yield* sweepOrphans({ dryRun: parsed.right.dryRun, namespace })
      for (const line of reportLines(quay.organization, report)) yield* Console.log(line)
      return report
    }).pipe(
      Effect.provide(liveServices().pipe(Layer.provide(Telemetry.layer()))),
      Effect.provide(logger),
      Logger.withMinimumLogLevel(level)
    )
    return report.failures.length > 0 || report.unchecked.length > 0 ? 1 : 0
  })
