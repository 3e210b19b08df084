/** Small statistics over measured samples. */

/** The p-th percentile (nearest rank) of samples; 0 for none. */
export const percentile = (samples: ReadonlyArray<number>, p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b)
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0
}

/** The empirical distribution as chart points: (sample, fraction of samples at or below it). */
export const cumulative = (samples: ReadonlyArray<number>): ReadonlyArray<readonly [number, number]> => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted.map((value, i) => [value, (i + 1) / sorted.length] as const)
}

/** Objects ready over time: (seconds since start, ready so far), one point per object. */
export const readyOverTime = (readyAt: ReadonlyArray<number>, started: number): ReadonlyArray<readonly [number, number]> => [
  [0, 0],
  ...[...readyAt].sort((a, b) => a - b).map((at, i) => [(at - started) / 1000, i + 1] as const)
]
