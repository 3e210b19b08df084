/**
 * The registered scenarios, in the order `npm run bench` runs them. A scenario is a module under
 * bench/scenarios/ exporting a `Scenario` (bench/Scenario.ts); register it here.
 */
import type { Scenario } from "./Scenario.ts"
import { burst } from "./scenarios/burst.ts"
import { latency } from "./scenarios/latency.ts"
import { memory } from "./scenarios/memory.ts"
import { programs } from "./scenarios/programs.ts"
import { quayLimit } from "./scenarios/quayLimit.ts"
import { restart } from "./scenarios/restart.ts"

export const scenarios: ReadonlyArray<Scenario> = [
  latency,
  burst,
  quayLimit,
  restart,
  memory,
  programs
]
