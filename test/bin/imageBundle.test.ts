/**
 * The image's operator (scripts/image/bundle.ts): bundled on its own, with no node_modules beside it, it starts and
 * stops on a missing kubeconfig as the source does, and loads neither client-node's chunk nor the
 * OpenTelemetry SDK's unless they are used.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { bundle } from "../../scripts/image/bundle.ts"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")
const recorder = Path.join(root, "test/bin/fixtures/recordLoadedModules.mjs")

interface Run {
  readonly code: number | null
  readonly stderr: string
  readonly modules: ReadonlyArray<string>
}

/** Runs the bundled entry from its own directory, recording the modules it loaded. */
const run = (entry: string, environment: Record<string, string>) =>
  Effect.async<Run>((resume) => {
    const child = execFile(
      process.execPath,
      ["--import", recorder, entry],
      { cwd: Path.dirname(entry), env: { PATH: process.env["PATH"] ?? "", HOME: Path.dirname(entry), ...environment }, timeout: 60_000 },
      (_error, stdout, stderr) => {
        const lastLine = stdout.trim().split("\n").at(-1) ?? "[]"
        resume(Effect.succeed({ code: child.exitCode, stderr, modules: JSON.parse(lastLine) as ReadonlyArray<string> }))
      }
    )
  })

describe("the image's bundled operator", () => {
  it.scoped("runs without node_modules and loads only the chunks it uses", () =>
    Effect.gen(function*() {
      const directory = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "image-bundle-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const entry = yield* Effect.promise(() => bundle(Path.join(directory, "image")))
      const meta = JSON.parse(Fs.readFileSync(`${Path.join(directory, "image")}.meta.json`, "utf8")) as {
        readonly outputs: Record<string, { readonly inputs: Record<string, unknown> }>
      }
      const chunkHolding = (fragment: string) =>
        Object.entries(meta.outputs).filter(([, output]) => Object.keys(output.inputs).some((input) => input.includes(fragment)))
          .map(([file]) => pathToFileURL(Path.resolve(root, file)).href)

      // No kubeconfig anywhere: the operator stops, as the source does, once its module graph is loaded.
      const stopped = yield* run(entry, { METRICS_PORT: "0" })
      assert.strictEqual(stopped.code, 1)
      assert.include(stopped.stderr, "image-repository-operator: cannot configure the Kubernetes client")
      const outside = stopped.modules.filter((url) => url.startsWith("file:") && !url.startsWith(pathToFileURL(directory).href))
      assert.deepStrictEqual(outside, [])
      assert.include(stopped.modules, pathToFileURL(entry).href)
      const clientNode = chunkHolding("@kubernetes/client-node/")
      const openTelemetry = chunkHolding("@opentelemetry/sdk-metrics/")
      assert.isNotEmpty(clientNode)
      assert.isNotEmpty(openTelemetry)
      assert.deepStrictEqual(stopped.modules.filter((url) => clientNode.includes(url) || openTelemetry.includes(url)), [])
    }), { timeout: 120_000 })
})
