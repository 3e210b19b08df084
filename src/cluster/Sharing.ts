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

/** A lock directory still without a pid after this long lost its holder between mkdir and writing the pid. */
const pidlessLockMs = 5_000

/** After this long waiting, say for whom: a silent wait looks like a hang. */
const quietWaitMs = 3_000

const ageMs = (path: string): number | undefined => {
  try {
    return Date.now() - Fs.statSync(path).mtimeMs
  } catch {
    return undefined
  }
}

/** Removes the lock when its holder died (or never wrote its pid); answers the live holder's pid, if known. */
const breakIfAbandoned = (lockDir: string): number | undefined => {
  const holder = readPid(Path.join(lockDir, "pid"))
  const age = ageMs(lockDir)
  const abandoned = holder === undefined ? age !== undefined && age > pidlessLockMs : !isAlive(holder)
  if (abandoned) Fs.rmSync(lockDir, { recursive: true, force: true })
  return abandoned ? undefined : holder
}

const lockPolls = Schedule.spaced("250 millis")

/** Takes the lock directory (atomic mkdir); a lock whose holder died is broken. Polls every 250 ms. */
const acquire = (lockDir: string, onWaiting: (line: string) => void): Effect.Effect<void> =>
  Effect.suspend(() => {
    const since = Date.now()
    let announced = false
    return Effect.suspend(() => {
      try {
        Fs.mkdirSync(Path.dirname(lockDir), { recursive: true })
        Fs.mkdirSync(lockDir)
        Fs.writeFileSync(Path.join(lockDir, "pid"), String(process.pid))
        return Effect.void
      } catch {
        const holder = breakIfAbandoned(lockDir)
        if (!announced && Date.now() - since >= quietWaitMs) {
          announced = true
          onWaiting(`cluster: waiting for the cluster lock ${lockDir} held by ${holder === undefined ? "another process" : `pid ${holder}`}`)
        }
        return Effect.fail(new Busy())
      }
    }).pipe(Effect.retry(lockPolls), Effect.orDie)
  })

/** Runs `effect` holding the lock; `onWaiting` hears once when the lock has been busy for a few seconds. */
export const withLock = <A, E, R>(
  lockDir: string,
  effect: Effect.Effect<A, E, R>,
  onWaiting: (line: string) => void = (line) => process.stderr.write(`${line}\n`)
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.acquireUseRelease(
      // Waiting can be interrupted (Ctrl-C, a setup time limit) where the caller is; a lock left by an interrupt
      // carries our pid and is broken once this process is gone. Not forced interruptible: in a finalizer (npm run
      // local's `down` after Ctrl-C) the fiber is already interrupted and would give up before taking the lock.
      restore(acquire(lockDir, onWaiting)),
      () => effect,
      () => Effect.sync(() => Fs.rmSync(lockDir, { recursive: true, force: true }))
    )
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
