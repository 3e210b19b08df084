/**
 * The registered scenarios, in the order `npm run bench` runs them. A scenario is a module under
 * bench/scenarios/ exporting a `Scenario` (bench/Scenario.ts); register it here.
 */
import type { Scenario } from "./Scenario.ts"
import { latency } from "./scenarios/latency.ts"
import { memory } from "./scenarios/memory.ts"
import { programs } from "./scenarios/programs.ts"

export const scenarios: ReadonlyArray<Scenario> = [
  latency,
  memory,
  programs
]
