/** The soak's printed report: what was done, what went wrong on purpose, how it ended. */
import type { InvariantReport } from "./Invariants.ts"
import type { DriverReport } from "./Driver.ts"
import type { ReplicaCounts } from "./Replicas.ts"

export interface SoakReport {
  readonly seed: number
  readonly drivingSeconds: number
  readonly operations: DriverReport
  readonly faultsInjected: Readonly<Record<string, number>>
  readonly quayRequests: number
  readonly replicas: ReplicaCounts
  readonly convergenceBoundSeconds: number
  /** Undefined when the bound was exceeded. */
  readonly convergenceSeconds: number | undefined
  readonly sweep: { readonly exitCode: number | null; readonly lines: ReadonlyArray<string> }
  readonly invariants: InvariantReport
  readonly hygiene: {
    readonly logLines: number
    readonly events: number
    readonly objects: number
    readonly metricsScrapes: number
    readonly tokens: number
    readonly findings: number
  }
  readonly passed: boolean
}

export const reportLines = (report: SoakReport): ReadonlyArray<string> => {
  const ops = Object.entries(report.operations.operations).sort(([a], [b]) => a.localeCompare(b))
  const faults = Object.entries(report.faultsInjected).sort(([a], [b]) => a.localeCompare(b))
  const faultTotal = faults.reduce((n, [, c]) => n + c, 0)
  const inv = report.invariants
  return [
    "",
    `chaos soak: seed ${report.seed} (replay with --seed ${report.seed}), ${report.drivingSeconds} s of driving`,
    `operations: ${report.operations.total} (${ops.map(([kind, c]) => `${kind} ${c.sent}${c.refused > 0 ? ` (${c.refused} refused)` : ""}`).join(", ")})`,
    `faults injected: ${faultTotal} of ${report.quayRequests} Quay requests (${faults.map(([kind, n]) => `${kind} ${n}`).join(", ")})`,
    `kills: ${report.replicas.kills} (${report.replicas.leaderKills} of the leader), restarts: ${report.replicas.restarts}, failovers: ${report.replicas.failovers}`,
    `convergence: ${report.convergenceSeconds === undefined ? `NOT within the bound of ${report.convergenceBoundSeconds} s` : `${report.convergenceSeconds.toFixed(1)} s (bound ${report.convergenceBoundSeconds} s)`}`,
    `orphan sweep: exit code ${report.sweep.exitCode ?? "none"}; ${report.sweep.lines.filter((l) => !l.startsWith("{")).slice(-1)[0] ?? ""}`,
    `objects at the end: ${inv.objects.ready} live and provisioned, ${inv.objects.idle} failed or idle; Quay: ${inv.repositories} repositories (${inv.kept} kept unmarked), ${inv.robots} robots`,
    `invariants: orphans ${inv.counts.orphans}, lost ${inv.counts.lost}, duplicates ${inv.counts.duplicates}, cross-tenant ${inv.counts.crossTenant}, stuck in deletion ${inv.counts.stuck}`,
    ...inv.problems.slice(0, 40).map((p) => `  ${p}`),
    `secrets hygiene: ${report.hygiene.logLines} log lines, ${report.hygiene.events} Events, ${report.hygiene.objects} objects (statuses), ` +
      `${report.hygiene.metricsScrapes} metrics scrapes checked for ${report.hygiene.tokens} robot tokens and the organization token: ${report.hygiene.findings} found`,
    report.passed ? "chaos soak PASSED" : "chaos soak FAILED",
    ""
  ]
}
