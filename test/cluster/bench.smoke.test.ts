/**
 * A tiny run of each cluster scenario of the bench (one or two objects) against the test cluster: each one runs this
 * operator as its own process, writes its JSON, and reports its counts. No timings are asserted; the original
 * controller is not given, so its columns are skipped with the note that says how to add them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Results from "../../bench/report/Results.ts"
import { run } from "../../bench/run.ts"
import type { Result } from "../../bench/Scenario.ts"
import { kubeconfigPath } from "./support.ts"

const runOne = (name: string) =>
  Effect.gen(function*() {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bench-cluster-smoke-"))
    yield* run({ names: [name], scale: 0.001, original: {}, resultsDir: dir, kubeconfig: kubeconfigPath(), print: () => {}, progress: () => {} })
    const [result] = Results.readAll(dir)
    if (result === undefined) return yield* Effect.dieMessage(`${name} wrote no result`)
    return result
  })

const value = (result: Result, label: string) => result.figures.find((f) => f.label === label)?.value

describe("bench smoke (cluster)", { timeout: 600_000 }, () => {
  it.live("latency: one object per flavour, every figure measured, the original skipped with a note", () =>
    Effect.gen(function*() {
      const result = yield* runOne("latency")
      expect(value(result, "general-purpose: Quay requests per object")).toBeGreaterThan(0)
      expect(value(result, "component: Quay requests per object")).toBeGreaterThan(0)
      expect(result.notes.join("\n")).toContain("the original controller did not run")
      expect(result.charts.map((c) => c.file)).toEqual(["latency"])
    }))

  it.live("burst and quay-limit: every object ready, none failed, no 429 under quay.io's limit", () =>
    Effect.gen(function*() {
      const burst = yield* runOne("burst")
      expect(value(burst, "objects not ready (failed or pending)")).toBe(0)
      const limited = yield* runOne("quay-limit")
      expect(value(limited, "429 answers received")).toBe(0)
      expect(value(limited, "objects failed")).toBe(0)
      expect(value(limited, "objects not ready by the deadline")).toBe(0)
      // The second row: the same objects over HTTP/2 (TLS, ALPN) against nginx's per-connection limit.
      expect(value(limited, "over HTTP/2: 429 answers received")).toBe(0)
      expect(value(limited, "over HTTP/2: objects failed or not ready")).toBe(0)
      expect(limited.notes.join("\n")).toContain("request trace, this operator over HTTP/2")
    }))

  it.live("restart: the restarted operator writes nothing for ready objects", () =>
    Effect.gen(function*() {
      const result = yield* runOne("restart")
      expect(value(result, "apiserver writes after the restart")).toBe(0)
      // The token's self-check and the first availability probe wait for a Quay call the restart does not need.
      expect(value(result, "Quay requests after the restart")).toBe(0)
    }))
})
