/**
 * A real OCI registry (CNCF distribution's `registry`) beside the Quay simulator, as quay.io has one behind its
 * API: built from the Go module proxy by scripts/registry/build.sh into a version-keyed cache outside the
 * repository (with go-containerregistry's `crane`, the client the tests push and pull with), started on
 * 127.0.0.1, configured for token auth trusting the simulator's `/v2/auth` tokens (issuer, service and the
 * simulator's public key as a JWKS), and attached to the simulator, which forwards `/v2/` to it.
 */
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Data, Duration, Effect, Schedule, type Scope } from "effect"
import * as FreePort from "../cluster/FreePort.ts"
import type { RunningSimulator } from "./QuaySimulator.ts"

export class LocalRegistryError extends Data.TaggedError("LocalRegistryError")<{ readonly reason: string }> {
  override get message(): string {
    return `local registry: ${this.reason}`
  }
}

const projectRoot = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..", "..")

export interface RegistryBinaries {
  /** The directory holding `registry` and `crane`. */
  readonly dir: string
  readonly registry: string
  readonly crane: string
}

/**
 * The registry and crane binaries, built the first time (a few minutes with a cold Go module cache). A failed
 * build fails with the script's last lines, which say why (no Go toolchain, a module the proxy refused, a
 * compile error).
 */
export const ensureBinaries = (options: { readonly onProgress?: (line: string) => void } = {}): Effect.Effect<
  RegistryBinaries,
  LocalRegistryError
> =>
  Effect.async<RegistryBinaries, LocalRegistryError>((resume) => {
    const child = execFile(
      "bash",
      [Path.join(projectRoot, "scripts", "registry", "build.sh")],
      { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const dir = stdout.trim().split("\n").pop() ?? ""
        if (error !== null || dir === "") {
          const why = stderr.trim().split("\n").slice(-8).join("\n")
          resume(Effect.fail(new LocalRegistryError({ reason: `building the registry and crane failed:\n${why}` })))
          return
        }
        resume(Effect.succeed({ dir, registry: Path.join(dir, "registry"), crane: Path.join(dir, "crane") }))
      }
    )
    child.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.startsWith("registry build:")) options.onProgress?.(line)
    })
    return Effect.sync(() => {
      child.kill("SIGTERM")
    })
  }).pipe(Effect.withSpan("LocalRegistry.ensureBinaries"))

/** A port nothing listens on now, on 127.0.0.1. */
const freePort: Effect.Effect<number, LocalRegistryError> = FreePort.freePort.pipe(
  Effect.mapError((e) => new LocalRegistryError({ reason: e.message }))
)

/** distribution's configuration: filesystem storage, loopback only, token auth against the simulator. */
const configYaml = (input: {
  readonly port: number
  readonly storage: string
  readonly jwksFile: string
  readonly simulator: RunningSimulator
}): string =>
  [
    "version: 0.1",
    "log:",
    "  level: warn",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(input.storage)}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${input.port}`,
    // Upload locations relative to the request, so they go back through the simulator's host.
    "  relativeurls: true",
    "auth:",
    "  token:",
    `    realm: ${JSON.stringify(input.simulator.registryAuth.realm)}`,
    `    service: ${JSON.stringify(input.simulator.registryAuth.service)}`,
    `    issuer: ${JSON.stringify(input.simulator.registryAuth.issuer)}`,
    `    jwks: ${JSON.stringify(input.jwksFile)}`,
    ""
  ].join("\n")

export interface RunningRegistry {
  /** `http://127.0.0.1:<port>`, the registry itself; clients reach it through the simulator's host. */
  readonly url: string
  readonly logFile: string
}

/** How long the registry may take to answer `/v2/` after it was started. */
const readyWithin = Duration.seconds(30)

/**
 * Starts the registry for `simulator` and attaches it; it stops, and its storage goes, when the scope closes.
 */
export const start = (
  simulator: RunningSimulator,
  binaries: RegistryBinaries
): Effect.Effect<RunningRegistry, LocalRegistryError, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "quay-sim-registry-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    const port = yield* freePort
    const jwksFile = Path.join(dir, "jwks.json")
    const configFile = Path.join(dir, "config.yml")
    const logFile = Path.join(dir, "registry.log")
    Fs.writeFileSync(jwksFile, simulator.registryAuth.jwks)
    Fs.writeFileSync(configFile, configYaml({ port, storage: Path.join(dir, "storage"), jwksFile, simulator }))
    const log = Fs.openSync(logFile, "w")
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => spawn(binaries.registry, ["serve", configFile], { stdio: ["ignore", log, log] })),
      (child) =>
        Effect.async<void>((resume) => {
          if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
          child.once("exit", () => resume(Effect.void))
          child.kill("SIGTERM")
        }).pipe(Effect.ensuring(Effect.sync(() => Fs.closeSync(log))))
    )
    const url = `http://127.0.0.1:${port}`
    // Up when /v2/ answers at all (401: it wants a token); an exit meanwhile is a failure with the log's tail.
    yield* Effect.tryPromise({
      try: () => fetch(`${url}/v2/`).then((response) => response.status),
      catch: () => new LocalRegistryError({ reason: "not answering yet" })
    }).pipe(
      Effect.flatMap((status) =>
        child.exitCode !== null
          ? Effect.fail(new LocalRegistryError({ reason: "exited" }))
          : status === 401
          ? Effect.void
          : Effect.fail(new LocalRegistryError({ reason: `/v2/ answered ${status}, not 401` }))
      ),
      Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo(readyWithin))),
      Effect.mapError(() =>
        new LocalRegistryError({
          reason: `the registry did not come up on ${url} within ${Duration.format(readyWithin)}:\n${
            Fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-8).join("\n")
          }`
        })
      )
    )
    simulator.attachRegistry(url)
    return { url, logFile }
  }).pipe(Effect.withSpan("LocalRegistry.start"))
