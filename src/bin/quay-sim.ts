/**
 * Runs the Quay API simulator until SIGINT/SIGTERM.
 *
 *   npm run quay-sim -- --port <p> --org <org> --token <token> [--plan free|paid]
 *     [--latency-ms <n>] [--fault-rate <0..1>] [--fault-kind 5xx|429|timeout|503] [--rate-limit <req/s>]
 *     [--scoped-token <token>=<scope>,<scope>...]... [--registry]
 *
 * The token may come from QUAY_SIM_TOKEN instead of --token, which keeps it out of the process list.
 * --scoped-token adds another OAuth token of the operator's user with just those scopes (repeatable).
 * --registry builds (the first time) and starts a real registry beside the simulator, behind its /v2/.
 * Prints `listening on http://127.0.0.1:<port>` once it accepts connections. Bad flags: a message on stderr
 * and exit code 2.
 */
import { parseArgs } from "node:util"
import { type FaultKind, isFaultKind } from "../simulator/QuayFaults.ts"
import { isScope, type Scope } from "../simulator/QuayModel.ts"
import type { SimulatorOptions } from "../simulator/QuaySimulator.ts"
import { failureMessage } from "../domain/FailureMessage.ts"

const usage =
  "usage: quay-sim --port <p> --org <org> --token <token> [--plan free|paid] [--latency-ms <n>] " +
  "[--fault-rate <0..1>] [--fault-kind 5xx|429|timeout|503] [--rate-limit <req/s>] " +
  "[--scoped-token <token>=<scope>,<scope>...]... [--registry]"

class UsageError extends Error {}

/** `<token>=<scope>,<scope>…`; the token is everything before the last `=`. */
const parseScopedToken = (text: string): { readonly token: string; readonly scopes: ReadonlyArray<Scope> } => {
  const at = text.lastIndexOf("=")
  const token = at <= 0 ? "" : text.slice(0, at)
  const scopes = at <= 0 ? [] : text.slice(at + 1).split(",").map((scope) => scope.trim()).filter((scope) => scope !== "")
  const unknown = scopes.filter((scope) => !isScope(scope))
  if (token === "" || unknown.length > 0) {
    throw new UsageError(
      `--scoped-token must be <token>=<scope>,<scope>... with scopes among repo:read, repo:write, repo:admin, ` +
        `repo:create, user:read, user:admin, org:admin${unknown.length > 0 ? `; unknown: ${unknown.join(", ")}` : ""}`
    )
  }
  return { token, scopes: scopes.filter(isScope) }
}

const parseOptions = (argv: ReadonlyArray<string>): SimulatorOptions & { readonly registry: boolean } => {
  let values: Record<string, string | boolean | Array<string> | undefined>
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
        "rate-limit": { type: "string" },
        "scoped-token": { type: "string", multiple: true },
        registry: { type: "boolean" }
      }
    }).values
  } catch (error) {
    throw new UsageError(failureMessage(error))
  }
  const text = (flag: string): string | undefined => {
    const value = values[flag]
    return typeof value === "string" ? value : undefined
  }
  const number = (flag: string, valid: (n: number) => boolean, what: string): number | undefined => {
    const text = values[flag]
    if (typeof text !== "string") return undefined
    const n = Number(text)
    if (text.trim() === "" || !Number.isFinite(n) || !valid(n)) throw new UsageError(`--${flag} must be ${what}, got '${text}'`)
    return n
  }
  const port = number("port", (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "a port number (0..65535)")
  if (port === undefined) throw new UsageError("--port is required (0 picks a free port)")
  const org = text("org")
  if (org === undefined || org === "") throw new UsageError("--org is required")
  const token = text("token") ?? process.env["QUAY_SIM_TOKEN"]
  if (token === undefined || token === "") throw new UsageError("--token (or QUAY_SIM_TOKEN) is required")
  const plan = text("plan")
  if (plan !== undefined && plan !== "free" && plan !== "paid") {
    throw new UsageError(`--plan must be free or paid, got '${plan}'`)
  }
  const faultKind = text("fault-kind")
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
    ...(rateLimit === undefined ? {} : { rateLimit }),
    tokens: (Array.isArray(values["scoped-token"]) ? values["scoped-token"] : []).map(parseScopedToken),
    registry: values["registry"] === true
  }
}

let options: (SimulatorOptions & { readonly registry: boolean }) | undefined
try {
  options = parseOptions(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof UsageError)) throw error
  process.stderr.write(`quay-sim: ${error.message}\n${usage}\n`)
  process.exitCode = 2
}
if (options !== undefined) {
  // Loaded only now, so that bad flags are reported without paying for loading Effect.
  const [{ NodeRuntime }, { Console, Effect }, QuaySimulator, LocalRegistry] = await Promise.all([
    import("@effect/platform-node"),
    import("effect"),
    import("../simulator/QuaySimulator.ts"),
    import("../simulator/LocalRegistry.ts")
  ])
  const withRegistry = options.registry
  NodeRuntime.runMain(
    QuaySimulator.start(options).pipe(
      Effect.tap((simulator) =>
        withRegistry
          ? LocalRegistry.ensureBinaries({ onProgress: (line) => process.stderr.write(`${line}\n`) }).pipe(
            Effect.flatMap((binaries) => LocalRegistry.start(simulator, binaries)),
            Effect.tap((registry) => Console.log(`registry on ${simulator.registryHost} (distribution at ${registry.url})`))
          )
          : Effect.void
      ),
      Effect.tap((simulator) => Console.log(`listening on ${simulator.url}`)),
      Effect.zipRight(Effect.never),
      Effect.scoped
    )
  )
}
