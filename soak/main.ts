/**
 * `npm run soak -- --minutes <n> [--seed <n>] [--convergence-bound <seconds>]`: the chaos soak (soak/Soak.ts) on the
 * project's local control plane, brought up (or reused) in CLUSTER_STATE_DIR like the cluster tests'. Prints the
 * seed first, so a run can be replayed, and the figures at the end; exits 1 when an invariant or the bound failed.
 */
import { Effect } from "effect"
import * as ControlPlane from "../src/cluster/ControlPlane.ts"
import { runSoak } from "./Soak.ts"

const usage = "usage: npm run soak -- --minutes <n> [--seed <n>] [--convergence-bound <seconds>]"

const argument = (args: ReadonlyArray<string>, name: string): number | undefined => {
  const at = args.indexOf(name)
  if (at < 0) return undefined
  const value = Number(args[at + 1])
  return Number.isFinite(value) && value > 0 ? value : Number.NaN
}

const main = async (args: ReadonlyArray<string>): Promise<number> => {
  const minutes = argument(args, "--minutes")
  const seed = argument(args, "--seed") ?? Math.floor(Math.random() * 2 ** 31)
  const bound = argument(args, "--convergence-bound") ?? 180
  const known = new Set(["--minutes", "--seed", "--convergence-bound"])
  const unknown = args.filter((a, i) => a.startsWith("--") && !known.has(a) && !known.has(args[i - 1] ?? ""))
  if (minutes === undefined || Number.isNaN(minutes) || Number.isNaN(seed) || Number.isNaN(bound) || unknown.length > 0) {
    process.stderr.write(`${usage}\n`)
    return 2
  }
  const stateDir = process.env["CLUSTER_STATE_DIR"]
  const where: ControlPlane.ControlPlaneOptions = stateDir === undefined || stateDir === "" ? {} : { stateDir }
  const plane = await Effect.runPromise(
    ControlPlane.up({ ...where, lease: true, onProgress: (line) => process.stderr.write(`${line}\n`) })
  )
  // The end-to-end helpers the soak shares with the tests find the cluster here (outside vitest).
  process.env["KUBECONFIG"] = plane.kubeconfig
  try {
    const report = await runSoak({
      minutes,
      seed: Math.floor(seed),
      convergenceBoundSeconds: bound,
      print: (line) => process.stdout.write(`${line}\n`)
    })
    return report.passed ? 0 : 1
  } finally {
    await Effect.runPromise(ControlPlane.release(where))
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos soak: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
)
