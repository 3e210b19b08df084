/**
 * The short chaos soak of issue 9, part of `npm test`: about 90 s of random driving with faults and SIGKILLs of
 * two leader-elected operator replicas (running as config/rbac's ServiceAccount), then convergence, the orphan
 * sweep, the invariants and the secrets hygiene scan, all from soak/Soak.ts, as `npm run soak` runs them.
 */
import { describe, expect, it } from "vitest"
import { runSoak } from "../../soak/Soak.ts"

describe("the chaos soak, short", () => {
  it("converges after faults and kills, and leaves no orphan, loss, duplicate, cross-tenant credential or token in sight", async () => {
    const seed = Math.floor(Math.random() * 2 ** 31)
    const report = await runSoak({
      minutes: 1.5,
      seed,
      convergenceBoundSeconds: 90,
      print: (line) => process.stdout.write(`${line}\n`)
    })
    expect(report.replicas.kills).toBeGreaterThanOrEqual(2)
    expect(report.replicas.failovers).toBeGreaterThanOrEqual(1)
    expect(report.replicas.restarts).toBeGreaterThanOrEqual(2)
    expect(Object.values(report.faultsInjected).reduce((n, c) => n + c, 0)).toBeGreaterThan(0)
    expect(report.operations.total).toBeGreaterThan(0)
    expect(report.convergenceSeconds).toBeDefined()
    expect(report.sweep.exitCode).toBe(0)
    expect(report.invariants.counts).toEqual({ lost: 0, stuck: 0, duplicates: 0, crossTenant: 0, orphans: 0 })
    expect(report.invariants.problems).toEqual([])
    expect(report.hygiene.logLines).toBeGreaterThan(0)
    expect(report.hygiene.metricsScrapes).toBeGreaterThan(0)
    expect(report.hygiene.findings).toBe(0)
    expect(report.passed).toBe(true)
  }, 300_000)
})
