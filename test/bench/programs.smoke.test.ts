/** A tiny run of the in-memory scenarios through the bench runner: results written, README regenerated. No timings asserted. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Results from "../../bench/report/Results.ts"
import { run } from "../../bench/run.ts"

describe("bench smoke", () => {
  it.effect("the programs scenario runs at a tiny scale and writes its JSON and the README row", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bench-smoke-"))
      const printed: Array<string> = []
      yield* run({
        names: ["programs"],
        scale: 0.002,
        original: {},
        resultsDir: dir,
        print: (text) => printed.push(text),
        progress: () => {}
      })
      const [result] = Results.readAll(dir)
      expect(result?.name).toBe("programs")
      expect(result?.settings["objects"]).toBe(4)
      // A converged object costs nothing: this one is a count, not a timing.
      expect(result?.figures.find((f) => f.label.startsWith("Quay requests + writes"))?.value).toBe(0)
      expect(Fs.readFileSync(Path.join(dir, "README.md"), "utf8")).toContain("| programs | full provisions/s |")
      expect(printed.join("\n")).toContain("converged no-op reconciles/s")
    }))

  it.effect("an unknown scenario name fails with the known names", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run({ names: ["nope"], scale: 1, original: {}, print: () => {}, progress: () => {} }))
      expect(error.message).toContain("unknown scenario nope")
      expect(error.message).toContain("programs")
    }))
})
