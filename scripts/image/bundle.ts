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
 * undici as @effect/platform-node imports it: NodeHttpClient's module imports it for its undici client, which the
 * operator never uses (its clients are node:http's), and undici is CommonJS re-exported whole (`export *`), so esbuild
 * cannot drop it: ~0.5 MB of code run at start-up, ~4 MB of heap and RSS measured. The image gets a stand-in that
 * fails loudly if anything ever reaches for it. client-node's own undici (the KubeConfig chunk) is untouched.
 */
const withoutPlatformUndici: Esbuild.Plugin = {
  name: "without-platform-undici",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes(`${Path.sep}@effect${Path.sep}platform-node${Path.sep}`)
        ? { path: "undici", namespace: "unbundled" }
        : undefined)
    build.onLoad({ filter: /.*/, namespace: "unbundled" }, () => ({
      loader: "js",
      contents: "export default new Proxy({}, { get(_, key) { throw new Error(`undici is not bundled into the operator's image " +
        "(scripts/image/bundle.ts): NodeHttpClient's undici client was reached for ${String(key)}`) } })"
    }))
  }
}

/** Bundles the operator into `dist/image/` or `outdir` (emptied first) and returns the entry's absolute path. */
export const bundle = async (outdir: string = Path.join(root, imageDirectory)): Promise<string> => {
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
    plugins: [withoutPlatformUndici],
    metafile: true
  })
  // What each chunk holds, for whoever checks what the image loads (esbuild's analyzer reads it); not in the image.
  Fs.writeFileSync(`${outdir}.meta.json`, JSON.stringify(result.metafile))
  // ESM by extension-less package scope: the image has no other package.json.
  Fs.writeFileSync(Path.join(outdir, "package.json"), `${JSON.stringify({ type: "module" })}\n`)
  return Path.join(outdir, "operator.js")
}

if (process.argv[1] !== undefined && Path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = await bundle()
  process.stdout.write(`bundled the operator into ${Path.relative(root, entry)}\n`)
}
