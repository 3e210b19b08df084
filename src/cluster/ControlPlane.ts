/**
 * The project's local control plane (etcd + kube-apiserver + kube-controller-manager on 127.0.0.1), driven
 * through scripts/cluster/*.sh. Used by `npm run cluster` and by the cluster tests' global setup.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Data, Effect, Option } from "effect"
import { addLease, dropLease, withLock } from "./Sharing.ts"

export class ControlPlaneError extends Data.TaggedError("ControlPlaneError")<{
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
  }
}

/** The repository root: this file lives in src/cluster/. */
export const projectRoot: string = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..", "..")

export interface ControlPlaneOptions {
  /** Where the cluster's state, logs and kubeconfig live (default `.local/cluster` in the project). */
  readonly stateDir?: string
  /** Receives progress lines (build steps, start-up milestones). */
  readonly onProgress?: (line: string) => void
}

export interface RunningControlPlane {
  readonly kubeconfig: string
  readonly stateDir: string
  /** False when a healthy control plane was already running and has been reused. */
  readonly started: boolean
}

/**
 * Absolute and without a trailing slash: the lock, leases and build log sit next to the directory (which
 * every start wipes), and the scripts must see the same path whatever their working directory. "" is unset.
 */
const stateDirOf = (options: ControlPlaneOptions): string =>
  Path.resolve(
    options.stateDir === undefined || options.stateDir === "" ? Path.join(projectRoot, ".local", "cluster") : options.stateDir
  )

const script = (name: string): string => Path.join(projectRoot, "scripts", "cluster", name)

/** The build log sits next to (not inside) the state directory, which every start wipes. */
export const buildLogPath = (options: ControlPlaneOptions = {}): string => `${stateDirOf(options)}-build.log`

interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to completion; stderr lines go to `onLine` (and to `logFile` when given) as they arrive. */
const run = (
  command: string,
  args: ReadonlyArray<string>,
  io: { readonly onLine?: (line: string) => void; readonly logFile?: string } = {}
): Effect.Effect<RunResult, ControlPlaneError> =>
  Effect.async<RunResult, ControlPlaneError>((resume) => {
    const log = io.logFile === undefined ? undefined : Fs.createWriteStream(io.logFile, { flags: "w" })
    const child = spawn(command, args, { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let pending = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      log?.write(chunk)
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
      log?.write(chunk)
      pending += chunk
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      for (const line of lines) io.onLine?.(line)
    })
    child.on("error", (cause) => {
      log?.end()
      resume(Effect.fail(new ControlPlaneError({ reason: `could not run ${command}: ${cause.message}` })))
    })
    child.on("close", (code) => {
      if (pending !== "") io.onLine?.(pending)
      const done = () => resume(Effect.succeed({ code: code ?? 1, stdout, stderr }))
      if (log === undefined) done()
      else log.end(done)
    })
    return Effect.sync(() => {
      child.kill("SIGTERM")
    })
  })

/** The directory with etcd, kube-apiserver and kube-controller-manager; builds them (minutes) the first time. */
export const ensureBinaries = (options: ControlPlaneOptions = {}): Effect.Effect<string, ControlPlaneError> =>
  Effect.gen(function*() {
    const logFile = buildLogPath(options)
    Fs.mkdirSync(Path.dirname(logFile), { recursive: true })
    const result = yield* run("bash", [script("build.sh")], {
      logFile,
      onLine: (line) => {
        if (line.startsWith("cluster build: building")) options.onProgress?.(`${line} [full log: ${logFile}]`)
        else if (line.startsWith("cluster build:")) options.onProgress?.(line)
      }
    })
    if (result.code !== 0) {
      const noGo = result.stderr.includes("Go toolchain")
      return yield* new ControlPlaneError({
        reason: noGo
          ? "cannot build the control plane: no Go toolchain (`go`) on the PATH. Install Go >= 1.25 and retry."
          : `building the control plane binaries failed (exit ${result.code}):\n${tail(result.stderr, 5)}\nthe full log is ${logFile}`
      })
    }
    const binDir = result.stdout.trim().split("\n").pop() ?? ""
    if (binDir === "") return yield* new ControlPlaneError({ reason: `build.sh printed no binary directory; see ${logFile}` })
    return binDir
  }).pipe(Effect.withSpan("ControlPlane.ensureBinaries"))

/** What status.sh found: a healthy cluster, one whose components run but do not answer /readyz, or none. */
type Probe =
  | { readonly _tag: "Ready"; readonly kubeconfig: string }
  | { readonly _tag: "Unready"; readonly reason: string }
  | { readonly _tag: "Down"; readonly reason: string }

/** status.sh's exit code when every component runs but /readyz does not answer (busy, or still starting). */
const unreadyExitCode = 3

const probe = (options: ControlPlaneOptions): Effect.Effect<Probe, ControlPlaneError> =>
  run("bash", [script("status.sh"), stateDirOf(options)]).pipe(
    Effect.map((r): Probe =>
      r.code === 0
        ? { _tag: "Ready", kubeconfig: r.stdout.trim() }
        : r.code === unreadyExitCode
        ? { _tag: "Unready", reason: lastLine(r.stderr) }
        : { _tag: "Down", reason: lastLine(r.stderr) }
    ),
    Effect.withSpan("ControlPlane.status")
  )

/** The kubeconfig path when a healthy control plane runs in the state directory. */
export const status = (options: ControlPlaneOptions = {}): Effect.Effect<Option.Option<string>, ControlPlaneError> =>
  probe(options).pipe(Effect.map((p) => (p._tag === "Ready" ? Option.some(p.kubeconfig) : Option.none())))

/** Why status reports the control plane as down (for `npm run cluster -- status`). */
export const statusReason = (options: ControlPlaneOptions = {}): Effect.Effect<string, ControlPlaneError> =>
  run("bash", [script("status.sh"), stateDirOf(options)]).pipe(
    Effect.map((r) => (r.code === 0 ? `running; KUBECONFIG=${r.stdout.trim()}` : r.stderr.trim()))
  )

/** Who started the running control plane: tests stop what they started, never a cluster started by hand. */
type StartedBy = "tests" | "cli"

const lockDirOf = (options: ControlPlaneOptions): string => `${stateDirOf(options)}.lock`
const leaseDirOf = (options: ControlPlaneOptions): string => `${stateDirOf(options)}.users`
const startedByFile = (options: ControlPlaneOptions): string => Path.join(stateDirOf(options), "started-by")

export interface UpOptions extends ControlPlaneOptions {
  /**
   * Take a lease on the cluster (test runs): `release` then stops it once no lease holder remains, if a
   * test run started it. Without a lease (`npm run cluster -- up`) the cluster stays up until `down`.
   */
  readonly lease?: boolean
}

/** As long as start.sh may take (its START_TIMEOUT): a running cluster that is slow to answer gets that long. */
const startTimeoutSeconds = (): number => {
  const seconds = Number(process.env["START_TIMEOUT"] ?? "")
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 90
}

/**
 * Polls a cluster whose components run but do not answer /readyz until it answers, a component dies, or
 * `seconds` pass. A busy shared cluster must not be mistaken for a dead one: starting would wipe it.
 */
const awaitSettled = (
  options: ControlPlaneOptions,
  first: Probe,
  seconds: number
): Effect.Effect<Probe, ControlPlaneError> =>
  Effect.gen(function*() {
    const deadline = Date.now() + seconds * 1000
    let found = first
    while (found._tag === "Unready" && Date.now() < deadline) {
      yield* Effect.sleep("1 second")
      found = yield* probe(options)
    }
    return found
  })

/**
 * Starts the control plane unless one already runs there (waiting for it when it runs but is slow to answer);
 * builds the binaries first if missing.
 */
export const up = (options: UpOptions = {}): Effect.Effect<RunningControlPlane, ControlPlaneError> =>
  withLock(
    lockDirOf(options),
    Effect.gen(function*() {
      const stateDir = stateDirOf(options)
      if (options.lease === true) yield* addLease(leaseDirOf(options))
      let found = yield* probe(options)
      if (found._tag === "Unready") {
        const seconds = startTimeoutSeconds()
        options.onProgress?.(`cluster: ${found.reason}; waiting up to ${seconds} s for it to answer`)
        found = yield* awaitSettled(options, found, seconds)
        if (found._tag === "Unready") {
          return yield* new ControlPlaneError({
            reason: `the control plane in ${stateDir} runs but did not answer /readyz within ${seconds} s, so it was ` +
              `left alone (see the component logs there); \`npm run cluster -- down\` stops it`
          })
        }
      }
      if (found._tag === "Ready") {
        // Taken over by hand: the last test run must no longer stop it.
        if (options.lease !== true) Fs.writeFileSync(startedByFile(options), "cli" satisfies StartedBy)
        return { kubeconfig: found.kubeconfig, stateDir, started: false }
      }
      const binDir = yield* ensureBinaries(options)
      const result = yield* run("bash", [script("start.sh"), binDir, stateDir], {
        ...(options.onProgress === undefined ? {} : { onLine: options.onProgress })
      })
      if (result.code !== 0) {
        return yield* new ControlPlaneError({
          reason: `starting the control plane failed: ${lastLine(result.stderr)} (component logs in ${stateDir})`
        })
      }
      const startedBy: StartedBy = options.lease === true ? "tests" : "cli"
      Fs.writeFileSync(startedByFile(options), startedBy)
      return { kubeconfig: result.stdout.trim().split("\n").pop() ?? "", stateDir, started: true }
    }),
    options.onProgress
  ).pipe(Effect.withSpan("ControlPlane.up"))

/** Gives up this process's lease; the last holder stops a cluster that tests started. Answers whether it stopped it. */
export const release = (options: ControlPlaneOptions = {}): Effect.Effect<boolean, ControlPlaneError> =>
  withLock(
    lockDirOf(options),
    Effect.gen(function*() {
      const othersRemain = yield* dropLease(leaseDirOf(options))
      const startedBy = Fs.existsSync(startedByFile(options)) ? Fs.readFileSync(startedByFile(options), "utf8") : "cli"
      if (othersRemain || startedBy !== "tests") return false
      yield* stop(options)
      return true
    })
  ).pipe(Effect.withSpan("ControlPlane.release"))

const stop = (options: ControlPlaneOptions): Effect.Effect<void, ControlPlaneError> =>
  run("bash", [script("stop.sh"), stateDirOf(options)]).pipe(
    Effect.flatMap((r) =>
      r.code === 0 ? Effect.void : Effect.fail(new ControlPlaneError({ reason: `stop failed: ${lastLine(r.stderr)}` }))
    )
  )

/** Stops the control plane whoever uses it, and deletes its state (the component logs stay). */
export const down = (options: ControlPlaneOptions = {}): Effect.Effect<void, ControlPlaneError> =>
  withLock(lockDirOf(options), stop(options)).pipe(Effect.withSpan("ControlPlane.down"))

const lastLine = (text: string): string => text.trim().split("\n").pop() ?? ""

const tail = (text: string, lines: number): string =>
  text.trim().split("\n").slice(-lines).map((line) => `  ${line.trim()}`).join("\n")
