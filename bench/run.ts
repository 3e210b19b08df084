/**
 * Runs scenarios one after the other (they share one machine; at once they would measure each other), prints
 * each one's table, writes its results and regenerates bench/results/README.md.
 */
import { Data, Effect } from "effect"
import * as OriginalController from "./harness/OriginalController.ts"
import * as Results from "./report/Results.ts"
import * as Table from "./report/Table.ts"
import type { BenchContext, Result, Scenario } from "./Scenario.ts"
import { scenarios } from "./scenarios.ts"

export interface RunOptions {
  /** Scenario names; all when empty. */
  readonly names: ReadonlyArray<string>
  readonly scale: number
  readonly original: OriginalController.OriginalSource
  readonly resultsDir?: string | undefined
  readonly stateDir?: string | undefined
  /** A running cluster to use (tests); else the local control plane in `stateDir`. */
  readonly kubeconfig?: string | undefined
  /** Where tables go; stdout by default. */
  readonly print?: ((text: string) => void) | undefined
  readonly progress?: ((line: string) => void) | undefined
  /** Replaces the registered scenarios (tests). */
  readonly scenarios?: ReadonlyArray<Scenario> | undefined
}

export class UnknownScenario extends Data.TaggedError("UnknownScenario")<{ readonly names: ReadonlyArray<string>; readonly known: ReadonlyArray<string> }> {
  override get message(): string {
    return `unknown scenario ${this.names.join(", ")}; known: ${this.known.join(", ")}`
  }
}

export const run = (options: RunOptions) =>
  Effect.gen(function*() {
    const registered = options.scenarios ?? scenarios
    const unknown = options.names.filter((name) => !registered.some((s) => s.name === name))
    if (unknown.length > 0) {
      return yield* new UnknownScenario({ names: unknown, known: registered.map((s) => s.name) })
    }
    const chosen = options.names.length === 0 ? registered : registered.filter((s) => options.names.includes(s.name))
    const progress = options.progress ?? ((line: string) => process.stderr.write(`bench: ${line}\n`))
    const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n\n`))
    const original = yield* OriginalController.resolve(options.original, progress)
    const context: BenchContext = { scale: options.scale, original, stateDir: options.stateDir, kubeconfig: options.kubeconfig, progress }
    const results: Array<Result> = []
    for (const scenario of chosen) {
      progress(`${scenario.name}: ${scenario.title}`)
      const outcome = yield* Effect.scoped(scenario.run(context))
      const result: Result = {
        name: scenario.name,
        title: scenario.title,
        ranAt: new Date().toISOString(),
        scale: options.scale,
        ...outcome,
        notes: [...outcome.notes],
        charts: outcome.charts ?? []
      }
      Results.write(result, options.resultsDir)
      Results.writeReadme(options.resultsDir)
      print(Table.text(result))
      results.push(result)
    }
    return results
  })
