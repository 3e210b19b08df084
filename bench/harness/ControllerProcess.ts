/**
 * A controller under measurement, run as its own process (as it runs in a pod): this operator
 * (`node src/bin/operator.ts`) or the original Go manager. Its CPU time and RSS are read from /proc; it is stopped
 * (SIGTERM, then SIGKILL) when the scope closes. Its output goes to a log file, for when a run goes wrong.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Data, Duration, Effect, type Scope } from "effect"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import * as FreePort from "../../src/cluster/FreePort.ts"
import { failureMessage } from "../../src/domain/FailureMessage.ts"
import type { OriginalController } from "./OriginalController.ts"

export class ControllerProcessError extends Data.TaggedError("ControllerProcessError")<{ readonly reason: string }> {
  override get message(): string {
    return `controller under measurement: ${this.reason}`
  }
}

export interface QuayEndpoint {
  readonly apiUrl: string
  readonly organization: string
  readonly token: string
  /** A CA certificate (PEM file) to trust for an https `apiUrl` (the simulator's self-signed one). */
  readonly caFile?: string | undefined
}

/** Overrides of this operator's defaults; what is absent keeps the default (what a plain install runs with). */
export interface OurSettings {
  readonly workers?: number | undefined
  /** The Quay client's limit; absent keeps the operator's defaults. */
  readonly requestsPerSecond?: number | undefined
  readonly burst?: number | undefined
  readonly maxConcurrentRequests?: number | undefined
  /** The script to run (default src/bin/operator.ts; the memory scenario runs the built dist/bin/operator.js). */
  readonly entry?: string | undefined
  /** Node's own flags before the script, as the image's ENTRYPOINT gives them (V8 flags NODE_OPTIONS refuses). */
  readonly nodeArguments?: ReadonlyArray<string> | undefined
  /** More environment (NODE_OPTIONS, METRICS_PORT, ...), winning over the settings above. */
  readonly environment?: Readonly<Record<string, string>> | undefined
}

export type Which =
  | { readonly _tag: "Ours"; readonly settings: OurSettings }
  | { readonly _tag: "Original"; readonly original: OriginalController }

export interface ControllerProcess {
  readonly pid: number
  readonly label: string
  readonly logFile: string
  /** This operator's Prometheus endpoint (its /metrics); absent for the original. */
  readonly metricsUrl?: string | undefined
  /** User + system CPU seconds so far. */
  readonly cpuSeconds: Effect.Effect<number>
  /** Resident set size in bytes now. */
  readonly rssBytes: Effect.Effect<number>
  /** Whether it has exited (a crash fails the measurement instead of waiting forever). */
  readonly exited: () => boolean
}

/** The component push Secret goes to `build-pipeline-<component>`, the original's fixed choice. */
export const pipelineAccountTemplate = "build-pipeline-{component}"

const clockTicks = 100

const readStat = (pid: number): Array<string> => {
  const text = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  // Fields after the command name, which is in parentheses and may hold spaces.
  return text.slice(text.lastIndexOf(")") + 2).split(" ")
}

export const label = (which: Which): string =>
  which._tag === "Ours" ? "this operator" : `original (${which.original.build})`

export const start = (
  which: Which,
  kubeconfig: string,
  quay: QuayEndpoint
): Effect.Effect<ControllerProcess, ControllerProcessError, Scope.Scope> =>
  Effect.flatMap(freePort, (metricsPort) => Effect.acquireRelease(
    Effect.try({
      try: () => {
        const logFile = Path.join(Os.tmpdir(), `bench-${which._tag.toLowerCase()}-${process.pid}-${Date.now()}.log`)
        const out = Fs.openSync(logFile, "w")
        const env = {
          PATH: process.env["PATH"] ?? "",
          HOME: process.env["HOME"] ?? "",
          KUBECONFIG: kubeconfig,
          QUAY_API_URL: quay.apiUrl,
          QUAY_ORG: quay.organization,
          QUAY_TOKEN: quay.token,
          // Go's crypto/x509 reads SSL_CERT_FILE in place of the system roots: the original trusts the simulator.
          ...(quay.caFile === undefined || which._tag === "Ours" ? {} : { SSL_CERT_FILE: quay.caFile })
        }
        const child = which._tag === "Ours"
          ? spawn(process.execPath, [
            ...(which.settings.nodeArguments ?? []),
            which.settings.entry ?? Path.join(projectRoot, "src", "bin", "operator.ts")
          ], {
            cwd: projectRoot,
            stdio: ["ignore", out, out],
            env: {
              ...env,
              ...(which.settings.workers === undefined ? {} : { WORKERS: String(which.settings.workers) }),
              HEALTH_PORT: "0",
              // METRICS_PORT takes no 0 (off): a free port, so a busy 8080 on a shared machine does not stop it.
              METRICS_PORT: String(metricsPort),
              LOG_LEVEL: "WARN",
              PIPELINE_SERVICE_ACCOUNT: pipelineAccountTemplate,
              ...(quay.caFile === undefined ? {} : { QUAY_ADDITIONAL_CA: quay.caFile }),
              ...(which.settings.requestsPerSecond === undefined ? {} : { QUAY_RATE_LIMIT: String(which.settings.requestsPerSecond) }),
              ...(which.settings.burst === undefined ? {} : { QUAY_BURST: String(which.settings.burst) }),
              ...(which.settings.maxConcurrentRequests === undefined
                ? {}
                : { QUAY_MAX_CONCURRENCY: String(which.settings.maxConcurrentRequests) }),
              ...which.settings.environment
            }
          })
          : spawn(which.original.binary, ["--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=127.0.0.1:0"], {
            stdio: ["ignore", out, out],
            env
          })
        Fs.closeSync(out)
        let hasExited = false
        child.on("exit", () => {
          hasExited = true
        })
        const pid = child.pid
        if (pid === undefined) throw new Error(`could not start it; see ${logFile}`)
        const process_: ControllerProcess & { readonly stop: () => Promise<void> } = {
          pid,
          label: label(which),
          logFile,
          metricsUrl: which._tag === "Ours" ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
          cpuSeconds: Effect.sync(() => {
            if (hasExited) return 0
            const fields = readStat(pid)
            return (Number(fields[11]) + Number(fields[12])) / clockTicks
          }),
          rssBytes: Effect.sync(() => (hasExited ? 0 : Number(readStat(pid)[21]) * 4096)),
          exited: () => hasExited,
          stop: () =>
            new Promise<void>((resolve) => {
              if (hasExited) return resolve()
              const kill = setTimeout(() => child.kill("SIGKILL"), 10_000)
              child.once("exit", () => {
                clearTimeout(kill)
                resolve()
              })
              child.kill("SIGTERM")
            })
        }
        return process_
      },
      catch: (error) => new ControllerProcessError({ reason: failureMessage(error) })
    }),
    (running) => Effect.promise(() => running.stop())
  ))

/** A port nothing listens on now (the kernel's pick for port 0). */
const freePort: Effect.Effect<number> = Effect.orDie(FreePort.freePort)

/** Polls `check` until it holds (true) or `limit` passes (false); fails when the controller exits first. */
export const awaitUntil = (
  running: ControllerProcess,
  check: Effect.Effect<boolean>,
  what: string,
  limit: Duration.DurationInput,
  every: Duration.DurationInput = Duration.millis(100)
): Effect.Effect<boolean, ControllerProcessError> =>
  Effect.gen(function*() {
    const deadline = Date.now() + Duration.toMillis(Duration.decode(limit))
    while (!(yield* check)) {
      if (running.exited()) return yield* new ControllerProcessError({ reason: `${running.label} exited before ${what}; see ${running.logFile}` })
      if (Date.now() > deadline) return false
      yield* Effect.sleep(every)
    }
    return true
  })

/** `awaitUntil`, failing when `limit` passes first. */
export const awaitCondition = (
  running: ControllerProcess,
  check: Effect.Effect<boolean>,
  what: string,
  limit: Duration.DurationInput,
  every: Duration.DurationInput = Duration.millis(100)
): Effect.Effect<void, ControllerProcessError> =>
  Effect.flatMap(awaitUntil(running, check, what, limit, every), (met) =>
    met
      ? Effect.void
      : new ControllerProcessError({
        reason: `${running.label}: not ${what} within ${Duration.format(Duration.decode(limit))}; see ${running.logFile}`
      }))
