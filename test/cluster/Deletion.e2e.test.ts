/**
 * End to end: deletion that always finishes, and the orphan sweep as a command. The operator as a real process, the
 * real apiserver and controller-manager (whose namespace controller waits for finalizers), and the Quay simulator
 * over HTTP, whose organization token is revoked while objects and then their namespace are deleted.
 */
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect, Exit, Scope } from "effect"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { type OperatorProcess, startOperator } from "./e2e/OperatorProcess.ts"
import { kubeconfigPath } from "./support.ts"

const organization = "e2e-org"
const token = randomBytes(16).toString("hex")
/** Short, so a test waits seconds for the deadline, not minutes. */
const deadlineSeconds = 6

interface ImageRepositoryJson {
  readonly metadata: { readonly uid: string }
  readonly status?: { readonly state?: string; readonly credentials?: Record<string, string> }
}

/** The sweep as an operator would run it from a terminal: `npm run sweep`'s entry point, its output and exit code. */
const sweepCli = (env: Record<string, string>, args: ReadonlyArray<string>) =>
  new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [Path.join(projectRoot, "src", "bin", "sweep.ts"), ...args],
      { cwd: projectRoot, env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
    )
  })

describe("deletion while Quay refuses the operator's token", () => {
  let scope: Scope.CloseableScope
  let sim: QuaySimulator.RunningSimulator
  let operator: OperatorProcess
  const namespace = `e2e-del-${randomBytes(4).toString("hex")}`

  beforeAll(async () => {
    scope = await Effect.runPromise(Scope.make())
    sim = await Effect.runPromise(QuaySimulator.start({ organization, token, plan: "paid" }).pipe(Scope.extend(scope)))
    await kubectl(["create", "namespace", namespace])
    operator = startOperator("deletion", {
      KUBECONFIG: kubeconfigPath(),
      WATCH_NAMESPACE: namespace,
      QUAY_API_URL: sim.apiUrl,
      QUAY_ORG: organization,
      QUAY_TOKEN: token,
      // A Lease in the namespace would go with it: a single replica needs none.
      LEADER_ELECTION: "false",
      CLEANUP_DEADLINE: `${deadlineSeconds}s`,
      HEALTH_PORT: "0"
    })
  })
  afterAll(async () => {
    await operator.stop("SIGTERM")
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await kubectl(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"])
  })

  const create = async (name: string) => {
    await kubectl(["apply", "-f", "-"], `apiVersion: appstudio.redhat.com/v1alpha1
kind: ImageRepository
metadata:
  name: ${name}
  namespace: ${namespace}
`)
    return eventually(`${name} ready`, async () => {
      const ir = await getJson<ImageRepositoryJson>("imagerepository", namespace, name)
      return ir?.status?.state === "ready" ? ir : undefined
    })
  }

  const inQuay = () => {
    const snapshot = sim.model.snapshot()
    return { robots: snapshot.robots.map((r) => r.shortName).sort(), repositories: snapshot.repositories.map((r) => r.name).sort() }
  }

  it("objects, then their namespace, finish deleting after the deadline; the sweep command removes what they left", async () => {
    const first = await create("first")
    const second = await create("second")
    const robots = [first, second].map((ir) => ir.status?.credentials?.["push-robot-account"] ?? "").sort()
    const repositories = [`${namespace}/first`, `${namespace}/second`]
    // Someone else's repository in the same organization: the sweep must not touch it.
    sim.model.putRepository({ name: `${namespace}/by-hand`, description: "AppStudio repository for the user" })
    sim.model.revokeToken(token)

    // One object: held while Quay refuses, released after the deadline with a Warning naming what was left.
    await kubectl(["delete", "imagerepository", "first", "-n", namespace, "--wait=false"])
    await eventually("first deleted", async () =>
      (await getJson("imagerepository", namespace, "first")) === undefined ? true : undefined, (deadlineSeconds + 30) * 1000)
    const events = JSON.parse(
      await kubectl(["get", "events", "-n", namespace, "--field-selector", "involvedObject.name=first", "-o", "json"])
    ) as { items: ReadonlyArray<{ type: string; reason: string; message: string }> }
    const warning = events.items.find((e) => e.reason === "QuayCleanupIncomplete")
    expect(warning?.type).toBe("Warning")
    expect(warning?.message).toContain(`${organization}+${first.status?.credentials?.["push-robot-account"]}`)
    expect(warning?.message).toContain(`${organization}/${namespace}/first`)
    expect(warning?.message).toContain("Quay refused the operator's token")

    // The namespace: the namespace controller waits for the finalizer, which goes at the deadline. A Terminating
    // namespace takes no new Event, so what was left is in the operator's log.
    await kubectl(["delete", "namespace", namespace, "--wait=false"])
    await eventually("the namespace gone", async () =>
      (await getJson("namespace", "", namespace)) === undefined ? true : undefined, 120_000)
    expect(operator.log()).toContain(`deleted with leftovers`)
    expect(operator.log()).toContain(`${organization}+${second.status?.credentials?.["push-robot-account"]}`)
    expect(inQuay()).toEqual({ robots, repositories: [...repositories, `${namespace}/by-hand`].sort() })

    // An administrator issues a new token; the sweep, as a command, first reports, then deletes, the leftovers.
    const rotated = randomBytes(16).toString("hex")
    sim.model.addUser("rotated-admin", { organization, role: "admin", token: rotated })
    const env = { KUBECONFIG: kubeconfigPath(), QUAY_API_URL: sim.apiUrl, QUAY_ORG: organization, QUAY_TOKEN: rotated }
    const dryRun = await sweepCli(env, ["--dry-run"])
    expect(dryRun.code).toBe(0)
    for (const robot of robots) expect(dryRun.stdout).toContain(`would delete robot ${organization}+${robot}`)
    for (const repository of repositories) expect(dryRun.stdout).toContain(`would delete repository ${organization}/${repository}`)
    expect(dryRun.stdout).toContain("orphan sweep (dry run): 4 to delete, 0 failed")
    expect(inQuay().robots).toEqual(robots)

    const swept = await sweepCli(env, [])
    expect(swept.code).toBe(0)
    expect(swept.stdout).toContain("orphan sweep: 4 deleted, 0 failed")
    expect(inQuay()).toEqual({ robots: [], repositories: [`${namespace}/by-hand`] })
    expect(swept.stderr).not.toContain(rotated)
  }, 240_000)
})
