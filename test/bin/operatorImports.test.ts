/**
 * What starting the operator loads. Every module loaded stays in memory (its source text and compiled code), so the
 * heavy ones are loaded only when used: client-node's KubeConfig (its whole generated API, ~75 MB RSS) only for
 * kubeconfig forms read through it, the OpenTelemetry exporters only when turned on, and never a package barrel that
 * loads what the operator does not use (@effect/platform's bundles HttpApi's documentation UIs, several MB).
 */
import { execFile } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")
const recorder = Path.join(root, "test/bin/fixtures/recordLoadedModules.mjs")

/** The modules the operator loaded before it stopped on its (deliberately incomplete) configuration. */
const modulesLoadedByOperator = (environment: Record<string, string>) =>
  Effect.async<ReadonlyArray<string>, Error>((resume) => {
    execFile(
      process.execPath,
      ["--import", recorder, Path.join(root, "src/bin/operator.ts")],
      // No QUAY_ORG: the operator stops once its module graph is loaded, before it connects to anything.
      { cwd: root, env: { PATH: process.env["PATH"] ?? "", HOME: root, ...environment }, timeout: 60_000 },
      (_error, stdout) => {
        const lastLine = stdout.trim().split("\n").at(-1) ?? "[]"
        resume(Effect.try({ try: () => JSON.parse(lastLine) as ReadonlyArray<string>, catch: (e) => new Error(String(e)) }))
      }
    )
  })

const loadedFrom = (modules: ReadonlyArray<string>, fragment: string) => modules.filter((url) => url.includes(fragment))

describe("the operator's module graph", () => {
  it.effect("loads neither client-node, nor the OpenTelemetry SDK with metrics off, nor the platform barrels", () =>
    Effect.gen(function*() {
      const modules = yield* modulesLoadedByOperator({ METRICS_PORT: "0" })
      // The graph was loaded: the operator's own entry point and Effect are in it.
      assert.isNotEmpty(loadedFrom(modules, "/src/bin/operator.ts"))
      assert.isNotEmpty(loadedFrom(modules, "/node_modules/effect/"))
      assert.deepStrictEqual(loadedFrom(modules, "/node_modules/@kubernetes/client-node/"), [])
      assert.deepStrictEqual(loadedFrom(modules, "/node_modules/@opentelemetry/"), [])
      assert.deepStrictEqual(loadedFrom(modules, "/node_modules/@effect/opentelemetry/"), [])
      assert.deepStrictEqual(loadedFrom(modules, "/node_modules/@effect/platform/dist/esm/index.js"), [])
      assert.deepStrictEqual(loadedFrom(modules, "/node_modules/@effect/platform-node/dist/esm/index.js"), [])
    }), { timeout: 90_000 })
})
