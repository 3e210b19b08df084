/**
 * Runs a measurement for this operator and then, when it is given, for the original controller (one after the
 * other, never at once), on the same control plane: what each one ran with goes into the notes.
 */
import * as Path from "node:path"
import { Effect, Option, type Scope } from "effect"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import type { BenchContext } from "../Scenario.ts"
import * as Cluster from "./Cluster.ts"
import type * as ControllerProcess from "./ControllerProcess.ts"
import * as OriginalController from "./OriginalController.ts"
import * as Stage from "./Stage.ts"

export interface Pair<A> {
  readonly ours: A
  readonly original: Option.Option<A>
  readonly notes: ReadonlyArray<string>
}

const settingsText = (ours: ControllerProcess.OurSettings): string => {
  const set = [
    ours.workers === undefined ? undefined : `WORKERS=${ours.workers}`,
    ours.requestsPerSecond === undefined ? undefined : `QUAY_RATE_LIMIT=${ours.requestsPerSecond}`,
    ours.burst === undefined ? undefined : `QUAY_BURST=${ours.burst}`,
    ours.maxConcurrentRequests === undefined ? undefined : `QUAY_MAX_CONCURRENCY=${ours.maxConcurrentRequests}`,
    ours.environment?.["NODE_OPTIONS"] === undefined ? undefined : `NODE_OPTIONS=${ours.environment["NODE_OPTIONS"]}`
  ].filter((s) => s !== undefined)
  return set.length === 0 ? "its defaults (no WORKERS or QUAY_* limit set)" : `${set.join(", ")} (the rest at its defaults)`
}

/**
 * Overrides for this operator from the environment (BENCH_WORKERS, BENCH_QUAY_RATE_LIMIT, ...), to explore settings;
 * BENCH_NODE_OPTIONS becomes its NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=<dir>` to profile it); BENCH_ENTRY runs
 * another operator script (an older checkout's, for a before/after in one sitting).
 */
export const oursFromEnvironment = (): ControllerProcess.OurSettings => {
  const number = (name: string) => {
    const text = process.env[name]
    return text === undefined || text === "" ? undefined : Number(text)
  }
  const nodeOptions = process.env["BENCH_NODE_OPTIONS"]
  const entry = process.env["BENCH_ENTRY"]
  return {
    workers: number("BENCH_WORKERS"),
    requestsPerSecond: number("BENCH_QUAY_RATE_LIMIT"),
    burst: number("BENCH_QUAY_BURST"),
    maxConcurrentRequests: number("BENCH_QUAY_MAX_CONCURRENCY"),
    ...(nodeOptions === undefined || nodeOptions === "" ? {} : { environment: { NODE_OPTIONS: nodeOptions } }),
    ...(entry === undefined || entry === "" ? {} : { entry })
  }
}

export const run = <A, E>(
  context: BenchContext,
  ours: ControllerProcess.OurSettings,
  measure: (cluster: Cluster.Cluster, which: ControllerProcess.Which) => Effect.Effect<A, E, Scope.Scope>
): Effect.Effect<Pair<A>, E | Cluster.ClusterError, Scope.Scope> =>
  Effect.gen(function*() {
    const cluster = yield* Cluster.up(context)
    yield* Effect.addFinalizer(() => Stage.restoreOurCrds(cluster).pipe(Effect.ignore))
    context.progress("  this operator")
    const oursResult = yield* Effect.scoped(measure(cluster, { _tag: "Ours", settings: ours }))
    const entry = Path.relative(projectRoot, ours.entry ?? Path.join(projectRoot, "src", "bin", "operator.ts"))
    const notes = [`this operator ran as \`node ${entry}\` with ${settingsText(ours)}, on its own CRD (config/crd)`]
    const original = yield* Option.match(context.original, {
      onNone: () => Effect.succeed(Option.none<A>()),
      onSome: (original) =>
        Effect.gen(function*() {
          context.progress(`  the original (${original.build})`)
          const result = yield* Effect.scoped(measure(cluster, { _tag: "Original", original }))
          notes.push(
            `the original (${original.build}) ran with one worker and its own CRDs (its config/crd/bases plus ` +
            "application-api's Application and Component), installed in place of this operator's"
          )
          return Option.some(result)
        })
    })
    if (Option.isNone(context.original)) notes.push(OriginalController.skippedNote)
    return { ours: oursResult, original, notes }
  })
