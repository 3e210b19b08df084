/** The quay-sim command line: start, serve, stop on SIGTERM, and refuse bad flags. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { org, token, http } from "./simulatorHttpSupport.ts"

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
const nodeBin = `${repoRoot}node_modules/.bin/node`

interface Child {
  readonly firstLine: Promise<string>
  readonly exit: Promise<{ readonly code: number | null; readonly signal: string | null; readonly stderr: string }>
  readonly kill: () => void
}

const runCli = (args: ReadonlyArray<string>): Child => {
  const child = spawn(nodeBin, ["src/bin/quay-sim.ts", ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
      const newline = stdout.indexOf("\n")
      if (newline !== -1) resolve(stdout.slice(0, newline))
    })
    child.on("exit", () => reject(new Error(`exited before printing a line; stderr: ${stderr}`)))
  })
  firstLine.catch(() => undefined)
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }))
  )
  return { firstLine, exit, kill: () => child.kill("SIGTERM") }
}

const withTimeout = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms).unref())
  ])

describe("quay-sim CLI", () => {
  it.live("prints 'listening on <url>' when ready, serves Quay, and exits on SIGTERM", () =>
    Effect.gen(function*() {
      const child = runCli([
        "--port",
        "0",
        "--org",
        org,
        "--token",
        token,
        "--plan",
        "free",
        "--latency-ms",
        "1",
        "--scoped-token",
        "narrow-token=repo:read,user:read"
      ])
      yield* Effect.addFinalizer(() => Effect.sync(child.kill))
      // Generous bounds: they only catch a hang, and a loaded 2-core CI machine starts Node slowly.
      const line = yield* Effect.promise(() => withTimeout(child.firstLine, 45_000, "listening line"))
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)
      assert.isNotNull(match)
      const url = match?.[1] ?? ""
      const refused = yield* http(`${url}/api/v1/repository`, {
        method: "POST",
        body: { namespace: org, repository: "ns/x", visibility: "private", description: "" }
      })
      assert.strictEqual(refused.status, 402)
      // The scoped token acts as the same user, capped by its scopes: robots need org:admin.
      const narrow = yield* http(`${url}/api/v1/organization/${org}/robots`, { auth: "narrow-token" })
      assert.deepStrictEqual([narrow.status, (narrow.json as { error_type?: string }).error_type], [403, "insufficient_scope"])
      child.kill()
      const exit = yield* Effect.promise(() => withTimeout(child.exit, 20_000, "exit after SIGTERM"))
      assert.isTrue(exit.code === 0 || exit.signal === "SIGTERM", JSON.stringify(exit))
    }).pipe(Effect.scoped), 90_000)

  it.live("bad flags: a clear message on stderr and exit code 2", () =>
    Effect.gen(function*() {
      for (
        const [args, expected] of [
          [["--port", "0", "--org", org], /--token \(or QUAY_SIM_TOKEN\) is required/],
          [["--port", "99999", "--org", org, "--token", "t"], /--port must be/],
          [["--port", "0", "--org", org, "--token", "t", "--plan", "gold"], /--plan must be free or paid/],
          [["--port", "0", "--org", org, "--token", "t", "--fault-rate", "2"], /--fault-rate must be/],
          [["--port", "0", "--org", org, "--token", "t", "--scoped-token", "x=repo:all"], /--scoped-token must be .*unknown: repo:all/],
          [["--bogus"], /Unknown option '--bogus'/]
        ] as const
      ) {
        const child = runCli(args)
        const exit = yield* Effect.promise(() => withTimeout(child.exit, 20_000, "exit on bad flags"))
        assert.strictEqual(exit.code, 2, args.join(" "))
        assert.match(exit.stderr, expected)
        assert.match(exit.stderr, /usage: quay-sim/)
      }
    }))
})
