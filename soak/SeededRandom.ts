/**
 * The soak's one source of randomness, seeded so a run's choices (operations, kill times and targets, fault
 * draws) can be made again: mulberry32, small and good enough for choosing, never for secrets.
 */
export interface SeededRandom {
  readonly seed: number
  /** A draw in [0, 1). */
  readonly next: () => number
  /** An integer in [min, max]. */
  readonly between: (min: number, max: number) => number
  readonly chance: (probability: number) => boolean
  readonly pick: <A>(items: ReadonlyArray<A>) => A | undefined
}

export const seededRandom = (seed: number): SeededRandom => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    seed,
    next,
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: (items) => items[Math.floor(next() * items.length)]
  }
}

/** Another generator drawn from this one: each concern (driver, chaos, faults) keeps its own sequence. */
export const fork = (random: SeededRandom): SeededRandom => seededRandom(Math.floor(random.next() * 4294967296))
