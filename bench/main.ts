/**
 * `npm run bench` runs every scenario; `npm run bench -- <name> [<name> ...]` the named ones.
 *
 *   --scale <n>          sizes × n (default 1, the sizes); e.g. 0.05 while developing
 *   --original-src <dir> a checkout of konflux-ci/image-controller (or ORIGINAL_IMAGE_CONTROLLER_SRC)
 *   --original-bin <file> its built manager (or ORIGINAL_IMAGE_CONTROLLER_BIN)
 *   --results <dir>      where results go (default bench/results)
 *
 * Cluster scenarios use the local control plane in CLUSTER_STATE_DIR (started, and built the first time, if needed).
 */
import { parseArgs } from "node:util"
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Logger, LogLevel } from "effect"
import * as OriginalController from "./harness/OriginalController.ts"
import { run } from "./run.ts"

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scale: { type: "string", default: "1" },
    "original-src": { type: "string" },
    "original-bin": { type: "string" },
    results: { type: "string" }
  }
})
const scale = Number(values.scale)
if (!(Number.isFinite(scale) && scale > 0)) {
  process.stderr.write("bench: --scale takes a positive number\n")
  process.exit(2)
}

run({
  names: positionals,
  scale,
  original: OriginalController.sourceOf({ src: values["original-src"], bin: values["original-bin"] }),
  resultsDir: values.results,
  stateDir: process.env["CLUSTER_STATE_DIR"] || undefined
}).pipe(
  Effect.tapErrorCause((cause) => Effect.sync(() => process.stderr.write(`bench failed: ${cause.toString()}\n`))),
  Logger.withMinimumLogLevel(LogLevel.Warning),
  NodeRuntime.runMain
)
