/**
 * Runs the Quay API simulator until SIGINT/SIGTERM.
 *
 *   npm run quay-sim -- --port <p> --org <org> --token <token> [--plan free|paid]
 *     [--latency-ms <n>] [--fault-rate <0..1>] [--fault-kind 5xx|429|timeout|503] [--rate-limit <req/s>]
 *
 * The token may come from QUAY_SIM_TOKEN instead of --token, which keeps it out of the process list.
 * Prints `listening on http://127.0.0.1:<port>` once it accepts connections. Bad flags: a message on stderr
 * and exit code 2.
 */
import { parseArgs } from "node:util"
import { type FaultKind, isFaultKind } from "../simulator/QuayFaults.ts"
import type { SimulatorOptions } from "../simulator/QuaySimulator.ts"

const usage =
  "usage: quay-sim --port <p> --org <org> --token <token> [--plan free|paid] [--latency-ms <n>] " +
  "[--fault-rate <0..1>] [--fault-kind 5xx|429|timeout|503] [--rate-limit <req/s>]"

class UsageError extends Error {}

const parseOptions = (argv: ReadonlyArray<string>): SimulatorOptions => {
  let values: Record<string, string | undefined>
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        org: { type: "string" },
        token: { type: "string" },
        plan: { type: "string" },
        "latency-ms": { type: "string" },
        "fault-rate": { type: "string" },
        "fault-kind": { type: "string" },
        "rate-limit": { type: "string" }
      }
    }).values
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const number = (flag: string, valid: (n: number) => boolean, what: string): number | undefined => {
    const text = values[flag]
    if (text === undefined) return undefined
    const n = Number(text)
    if (text.trim() === "" || !Number.isFinite(n) || !valid(n)) throw new UsageError(`--${flag} must be ${what}, got '${text}'`)
    return n
  }
  const port = number("port", (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "a port number (0..65535)")
  if (port === undefined) throw new UsageError("--port is required (0 picks a free port)")
  const org = values["org"]
  if (org === undefined || org === "") throw new UsageError("--org is required")
  const token = values["token"] ?? process.env["QUAY_SIM_TOKEN"]
  if (token === undefined || token === "") throw new UsageError("--token (or QUAY_SIM_TOKEN) is required")
  const plan = values["plan"]
  if (plan !== undefined && plan !== "free" && plan !== "paid") {
    throw new UsageError(`--plan must be free or paid, got '${plan}'`)
  }
  const faultKind = values["fault-kind"]
  if (faultKind !== undefined && !isFaultKind(faultKind)) {
    throw new UsageError(`--fault-kind must be one of 5xx, 429, timeout, 503, got '${faultKind}'`)
  }
  const latencyMs = number("latency-ms", (n) => Number.isInteger(n) && n >= 0, "a whole number of milliseconds")
  const faultRate = number("fault-rate", (n) => n >= 0 && n <= 1, "a fraction within 0..1")
  const rateLimit = number("rate-limit", (n) => n > 0, "a positive number of requests per second")
  return {
    port,
    organization: org,
    token,
    ...(plan === undefined ? {} : { plan }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(faultRate === undefined ? {} : { faultRate }),
    ...(faultKind === undefined ? {} : { faultKind: faultKind as FaultKind }),
    ...(rateLimit === undefined ? {} : { rateLimit })
  }
}

let options: SimulatorOptions | undefined
try {
  options = parseOptions(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof UsageError)) throw error
  process.stderr.write(`quay-sim: ${error.message}\n${usage}\n`)
  process.exitCode = 2
}
if (options !== undefined) {
  // Loaded only now, so that bad flags are reported without paying for loading Effect.
  const [{ NodeRuntime }, { Console, Effect }, QuaySimulator] = await Promise.all([
    import("@effect/platform-node"),
    import("effect"),
    import("../simulator/QuaySimulator.ts")
  ])
  NodeRuntime.runMain(
    QuaySimulator.start(options).pipe(
      Effect.tap((simulator) => Console.log(`listening on ${simulator.url}`)),
      Effect.zipRight(Effect.never),
      Effect.scoped
    )
  )
}
