/**
 * Several test runs (and people) may share one local control plane. A lock directory serialises start/stop,
 * and lease files (one per process using the cluster) let the last test run out stop a cluster that a test
 * run started, while a cluster started by hand (`npm run cluster -- up`) stays up.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Schedule } from "effect"

const isAlive = (pid: number): boolean => {
  try {
    // Signal 0 only checks that the process exists.
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readPid = (file: string): number | undefined => {
  try {
    const pid = Number(Fs.readFileSync(file, "utf8").trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

class Busy {
  readonly _tag = "Busy"
}

/** Takes the lock directory (atomic mkdir); a lock whose holder died is broken. Polls every 250 ms. */
const acquire = (lockDir: string): Effect.Effect<void> =>
  Effect.suspend(() => {
    try {
      Fs.mkdirSync(Path.dirname(lockDir), { recursive: true })
      Fs.mkdirSync(lockDir)
      Fs.writeFileSync(Path.join(lockDir, "pid"), String(process.pid))
      return Effect.void
    } catch {
      const holder = readPid(Path.join(lockDir, "pid"))
      if (holder !== undefined && !isAlive(holder)) Fs.rmSync(lockDir, { recursive: true, force: true })
      return Effect.fail(new Busy())
    }
  }).pipe(Effect.retry(Schedule.spaced("250 millis")), Effect.orDie)

/** Runs `effect` holding the lock. */
export const withLock = <A, E, R>(lockDir: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    acquire(lockDir),
    () => effect,
    () => Effect.sync(() => Fs.rmSync(lockDir, { recursive: true, force: true }))
  )

/** Records that this process uses the cluster. */
export const addLease = (leaseDir: string): Effect.Effect<void> =>
  Effect.sync(() => {
    Fs.mkdirSync(leaseDir, { recursive: true })
    Fs.writeFileSync(Path.join(leaseDir, String(process.pid)), "")
  })

/** Drops this process's lease and those of dead processes; answers whether any live user remains. */
export const dropLease = (leaseDir: string): Effect.Effect<boolean> =>
  Effect.sync(() => {
    Fs.rmSync(Path.join(leaseDir, String(process.pid)), { force: true })
    let remaining = 0
    for (const name of Fs.existsSync(leaseDir) ? Fs.readdirSync(leaseDir) : []) {
      const pid = Number(name)
      if (Number.isInteger(pid) && isAlive(pid)) remaining++
      else Fs.rmSync(Path.join(leaseDir, name), { force: true })
    }
    return remaining > 0
  })
