/**
 * The chaos between the driver's operations: every 20–40 s (seeded) one replica is killed with SIGKILL, the
 * current leader or either replica at random (the first kill always takes the leader, so even a short run fails
 * over), and restarted a moment later as a new incarnation.
 */
import type { Replicas } from "./Replicas.ts"
import { slotNames } from "./Replicas.ts"
import type { SeededRandom } from "./SeededRandom.ts"

export interface ChaosOptions {
  readonly replicas: Replicas
  readonly random: SeededRandom
  readonly deadline: number
  /** Seconds between kills, drawn in this range. */
  readonly interval: readonly [number, number]
  readonly print: (line: string) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const runChaos = async (options: ChaosOptions): Promise<void> => {
  const { replicas, random } = options
  let first = true
  for (;;) {
    const wait = random.between(options.interval[0], options.interval[1]) * 1000
    if (Date.now() + wait >= options.deadline) return
    await sleep(wait)
    const leader = first || random.chance(0.5)
    first = false
    const slot = await replicas.kill({ leader, slot: random.pick(slotNames) ?? "a" })
    options.print(`  chaos: SIGKILL replica ${slot}${leader ? " (the leader)" : ""}; leader was ${replicas.leader() ?? "none"}`)
    await sleep(random.between(500, 3000))
    replicas.restart(slot)
  }
}
