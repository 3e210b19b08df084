/**
 * The shape every benchmark scenario shares: it runs, and reports figures, each next to its physical limit (as a
 * ratio), next to the original Go controller's figure when that one ran in the same run (as a ratio), and against the
 * issue's target. The runner (bench/main.ts) writes what a scenario returns to bench/results/<name>.json and
 * regenerates bench/results/README.md from every JSON file there.
 */
import type { Effect, Option, Scope } from "effect"
import type { OriginalController } from "./harness/OriginalController.ts"

/** What a figure must reach; `met` is decided from the figure alone (see `Figure.make`). */
export type Target =
  /** value ≤ factor × limit (e.g. p50 ≤ 1.3 × the 2-round-trip limit). */
  | { readonly _tag: "RatioToLimitAtMost"; readonly factor: number }
  /** value ≥ limit × factor (throughput within a fraction of its bound: 0.9 for "within 10 %"). */
  | { readonly _tag: "RatioToLimitAtLeast"; readonly factor: number }
  | { readonly _tag: "AtLeast"; readonly value: number }
  | { readonly _tag: "AtMost"; readonly value: number }
  /** value ≤ factor × the original's (0.4 for "at least 2.5× faster"). */
  | { readonly _tag: "RatioToOriginalAtMost"; readonly factor: number }

export interface Figure {
  readonly label: string
  readonly value: number
  readonly unit: string
  /** The physical limit in the same unit (what no implementation can beat on this setup). */
  readonly limit?: number
  /** value ÷ limit. */
  readonly ratio?: number
  /** The original controller's figure, measured in the same run. */
  readonly original?: number
  /** value ÷ original. */
  readonly originalRatio?: number
  readonly target?: string
  /** Absent when the figure has no target, or the target needs a figure that was not measured. */
  readonly met?: boolean
}

/** A line chart: one or more named series of (x, y) points. */
export interface Chart {
  /** File name under bench/results, without `.svg`. */
  readonly file: string
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly series: ReadonlyArray<{ readonly name: string; readonly points: ReadonlyArray<readonly [number, number]> }>
}

/** What a scenario's run returns. */
export interface Outcome {
  /** The settings it ran with (sizes, latency, limits, which controller and CRD), printed and kept in the JSON. */
  readonly settings: Readonly<Record<string, string | number | boolean>>
  readonly figures: ReadonlyArray<Figure>
  /** Anything a reader must know: skipped columns and why, what bounds a missed target. */
  readonly notes: ReadonlyArray<string>
  readonly charts?: ReadonlyArray<Chart>
}

/** What the runner gives every scenario. */
export interface BenchContext {
  /** 1 for the sizes; smaller while developing (`--scale 0.05`). Sizes are rounded up to at least 1. */
  readonly scale: number
  /** The original controller when a checkout or binary was given (`--original-src`, `--original-bin`). */
  readonly original: Option.Option<OriginalController>
  /** The local control plane's state directory (CLUSTER_STATE_DIR), when set. */
  readonly stateDir: string | undefined
  /** A running cluster to use instead (the cluster tests' own); the local control plane is started when absent. */
  readonly kubeconfig?: string | undefined
  /** Progress lines, to stderr. */
  readonly progress: (line: string) => void
}

/** How a scenario fails: any tagged error with a message (setup that could not be done, a controller that died). */
export interface BenchFailure {
  readonly _tag: string
  readonly message: string
}

export interface Scenario {
  /** `npm run bench -- <name>`; also the results file's name. */
  readonly name: string
  readonly title: string
  readonly run: (context: BenchContext) => Effect.Effect<Outcome, BenchFailure, Scope.Scope>
}

/** The JSON written to bench/results/<name>.json. */
export interface Result extends Outcome {
  readonly name: string
  readonly title: string
  readonly ranAt: string
  readonly scale: number
  readonly charts: ReadonlyArray<Chart>
}

/** A size at this scale: at least 1. */
export const scaled = (context: BenchContext, full: number): number => Math.max(1, Math.round(full * context.scale))
