/** The operator as a real child process (`src/bin/operator.ts` on this Node), its output kept in a log file. */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { projectRoot } from "../../../src/cluster/ControlPlane.ts"

export interface OperatorProcess {
  readonly logFile: string
  readonly log: () => string
  /** SIGTERM (graceful) or SIGKILL (a crash); resolves when the process has exited. */
  readonly stop: (signal?: "SIGTERM" | "SIGKILL") => Promise<number | null>
}

export const startOperator = (name: string, env: Record<string, string>): OperatorProcess => {
  const logDir = Path.join(projectRoot, ".local", "e2e")
  Fs.mkdirSync(logDir, { recursive: true })
  const logFile = Path.join(logDir, `${name}.log`)
  const out = Fs.openSync(logFile, "w")
  const child: ChildProcess = spawn(process.execPath, [Path.join(projectRoot, "src", "bin", "operator.ts")], {
    cwd: projectRoot,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", out, out]
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return {
    logFile,
    log: () => Fs.readFileSync(logFile, "utf8"),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const code = await exited
      Fs.closeSync(out)
      return code
    }
  }
}
