/**
 * The operator as a real child process (`src/bin/operator.ts` on this Node, or another entry such as the built
 * `dist/bin/operator.js`), its output kept in a log file.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { projectRoot } from "../../../src/cluster/ControlPlane.ts"

export interface OperatorProcess {
  readonly logFile: string
  readonly log: () => string
  /** Resolves with the exit code when the process ends by itself or is stopped (a command such as `sweep`). */
  readonly exited: Promise<number | null>
  /** SIGTERM (graceful) or SIGKILL (a crash); resolves when the process has exited. */
  readonly stop: (signal?: "SIGTERM" | "SIGKILL") => Promise<number | null>
}

export interface StartOptions {
  /** The script to run, relative to the project; default `src/bin/operator.ts`. */
  readonly entry?: string
  readonly args?: ReadonlyArray<string>
}

export const startOperator = (name: string, env: Record<string, string>, options: StartOptions = {}): OperatorProcess => {
  const logDir = Path.join(projectRoot, ".local", "e2e")
  Fs.mkdirSync(logDir, { recursive: true })
  const logFile = Path.join(logDir, `${name}.log`)
  const out = Fs.openSync(logFile, "w")
  const entry = Path.join(projectRoot, options.entry ?? Path.join("src", "bin", "operator.ts"))
  const child: ChildProcess = spawn(process.execPath, [entry, ...(options.args ?? [])], {
    cwd: projectRoot,
    // Plain Secrets unless a test asks for RemoteSecrets: RemoteSecret.e2e leaves their CRD installed on the shared
    // cluster, and REMOTE_SECRETS=auto would switch every other test's operator to that mode.
    env: { PATH: process.env["PATH"] ?? "", REMOTE_SECRETS: "off", ...env },
    stdio: ["ignore", out, out]
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return {
    logFile,
    log: () => Fs.readFileSync(logFile, "utf8"),
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const code = await exited
      Fs.closeSync(out)
      return code
    }
  }
}
