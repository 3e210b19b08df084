/**
 * The container image's operator: `src/bin/operator.ts` bundled by esbuild into `dist/image/` (one ESM entry plus the
 * chunks its lazy imports load), minified and tree-shaken, so the pod parses and compiles only the code it runs and
 * needs no node_modules. The OpenTelemetry exporters and client-node's KubeConfig stay separate chunks, loaded only
 * when configured. `npm run build:image` runs it; the Dockerfile, the memory bench and the e2e test of the built
 * operator run what it writes.
 *
 * The library build (`npm run build`: tsc into dist/ with declarations, for embedders) is separate and unchanged.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Esbuild from "esbuild"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..", "..")

/** Where the image's operator is written, relative to the project. */
export const imageDirectory = Path.join("dist", "image")
/** The image's entry point, relative to the project: what the Dockerfile's ENTRYPOINT runs. */
export const imageEntry = Path.join(imageDirectory, "operator.js")

/**
 * undici, which @effect/platform-node's NodeHttpClient module imports for its (unused here) undici client: a CommonJS
 * package esbuild must otherwise evaluate at start-up (~0.5 MB of code) in case it has side effects. It has none the
 * operator relies on, so it is dropped when nothing calls it, and kept (and loaded) if something ever does.
 */
const sideEffectFree: Esbuild.Plugin = {
  name: "side-effect-free",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, async (args) => {
      if (args.pluginData === "side-effect-free") return undefined
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: "side-effect-free"
      })
      return { ...resolved, sideEffects: false }
    })
  }
}

/** Bundles the operator into `dist/image/` (emptied first) and returns the entry's absolute path. */
export const bundle = async (): Promise<string> => {
  const outdir = Path.join(root, imageDirectory)
  Fs.rmSync(outdir, { recursive: true, force: true })
  const result = await Esbuild.build({
    absWorkingDir: root,
    entryPoints: { operator: Path.join("src", "bin", "operator.ts") },
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    // The lazy imports (exporters, KubeConfig) become chunks loaded on demand, not code parsed at start-up.
    splitting: true,
    outdir,
    entryNames: "[name]",
    chunkNames: "chunks/[name]-[hash]",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    // Bundled CommonJS (the OpenTelemetry SDK, client-node) calls `require` for Node's modules: give ESM one.
    banner: { js: "import{createRequire as __createRequire}from\"node:module\";const require=__createRequire(import.meta.url);" },
    plugins: [sideEffectFree],
    metafile: true
  })
  // What each chunk holds, for whoever checks what the image loads (esbuild's analyzer reads it).
  Fs.writeFileSync(Path.join(root, "dist", "image-meta.json"), JSON.stringify(result.metafile))
  // ESM by extension-less package scope: the image has no other package.json.
  Fs.writeFileSync(Path.join(outdir, "package.json"), `${JSON.stringify({ type: "module" })}\n`)
  return Path.join(root, imageEntry)
}

if (process.argv[1] !== undefined && Path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = await bundle()
  process.stdout.write(`bundled the operator into ${Path.relative(root, entry)}\n`)
}
