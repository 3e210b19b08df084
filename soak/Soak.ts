/**
 * The chaos soak (issue 9): the real apiserver, the Quay simulator over HTTP on loopback injecting faults (5xx 10 %,
 * 429 5 %, timeouts 2 %, dropped connections 1 %), and the operator as two real processes with leader election,
 * running as config/rbac's ServiceAccount and killed with SIGKILL every 20–40 s. A seeded driver works the objects;
 * then the faults go off, the driver stops, and the operator must converge within a stated bound. After the orphan
 * sweep, the invariants are checked against the apiserver and `GET /_sim/state`, and every log line, Event,
 * status and metrics scrape of the run is searched for tokens. `npm run soak` and the cluster test both run this.
 */
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Exit, Scope } from "effect"
import { projectRoot } from "../src/cluster/ControlPlane.ts"
import * as QuaySimulator from "../src/simulator/QuaySimulator.ts"
import { scanRun, watchTokens } from "../test/cluster/e2e/Hygiene.ts"
import { kubectl } from "../test/cluster/e2e/kubectl.ts"
import { installRbac, operatorKubeconfig } from "../test/cluster/e2e/OperatorIdentity.ts"
import { startOperator } from "../test/cluster/e2e/OperatorProcess.ts"
import { applyServiceAccount, newNamespace, organization } from "../test/cluster/e2e/Rig.ts"
import { runChaos } from "./Chaos.ts"
import { runDriver } from "./Driver.ts"
import { checkInvariants, type InvariantReport } from "./Invariants.ts"
import { observe, simAuthorizes, simState } from "./Observation.ts"
import { startReplicas } from "./Replicas.ts"
import { reportLines, type SoakReport } from "./Report.ts"
import { fork, seededRandom } from "./SeededRandom.ts"

export interface SoakOptions {
  /** How long the driver and the chaos run (fractions allowed: the test drives for 90 s). */
  readonly minutes: number
  readonly seed: number
  /** How long the operator may take to converge once the faults are off. */
  readonly convergenceBoundSeconds: number
  /** The driver's budget; by default 3 operations per second of driving. */
  readonly maxOperations?: number
  readonly print: (line: string) => void
}

/** The issue's fault mix. */
export const faultMix = [
  { kind: "5xx", rate: 0.1 },
  { kind: "429", rate: 0.05 },
  { kind: "timeout", rate: 0.02 },
  { kind: "drop", rate: 0.01 }
] as const

const pipelineAccount = "appstudio-pipeline"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const runSoak = async (options: SoakOptions): Promise<SoakReport> => {
  const begun = Date.now()
  // Progress lines carry the time since the start, so a run's phases can be told apart afterwards.
  const print = (line: string) =>
    options.print(line.startsWith("  ") ? `  [${((Date.now() - begun) / 1000).toFixed(0).padStart(4)} s] ${line.trimStart()}` : line)
  const random = seededRandom(options.seed)
  const driverRandom = fork(random)
  const chaosRandom = fork(random)
  const faultRandom = fork(random)
  const drivingMs = Math.round(options.minutes * 60_000)
  print(`chaos soak: seed ${options.seed}, ${(drivingMs / 1000).toFixed(0)} s of driving, convergence bound ${options.convergenceBoundSeconds} s`)

  await kubectl(["apply", "-k", Path.join(projectRoot, "config", "crd", "component")])
  await installRbac()
  const kubeconfig = await operatorKubeconfig()
  const namespace = await newNamespace()
  await applyServiceAccount(namespace, pipelineAccount)
  const scope = await Effect.runPromise(Scope.make())
  const token = randomBytes(16).toString("hex")
  const sim = await Effect.runPromise(QuaySimulator.start({ organization, token, plan: "paid" }).pipe(Scope.extend(scope)))
  const rig = { sim, namespace, token, apiUrl: sim.apiUrl }
  const watch = watchTokens(rig)
  const replicas = await startReplicas({ rig, kubeconfig, quayTimeout: "3s" })
  print(`  namespace ${namespace}, Quay simulator ${sim.url}, operator as ${"system:serviceaccount:image-controller-system:image-repository-operator"}`)
  try {
    for (let i = 0; i < 60 && replicas.leader() === undefined; i++) await sleep(1_000)
    print(`  leader: ${replicas.leader() ?? "none yet"}; faults on: ${faultMix.map((f) => `${f.kind} ${f.rate * 100} %`).join(", ")}`)
    sim.model.injectFaultMix(faultMix, faultRandom.next)

    const started = Date.now()
    const deadline = started + drivingMs
    const [operations] = await Promise.all([
      runDriver({
        namespace,
        pipelineAccount,
        random: driverRandom,
        deadline,
        maxOperations: options.maxOperations ?? Math.max(10, Math.round((drivingMs / 1000) * 3)),
        maxImageRepositories: 14,
        maxComponents: 5
      }),
      runChaos({ replicas, random: chaosRandom, deadline, interval: [20, 40], print })
    ])
    const drivingSeconds = Math.round((Date.now() - started) / 1000)
    sim.model.clearFaults()
    replicas.ensureRunning()
    print(`  driving done after ${drivingSeconds} s (${operations.total} operations); faults off, waiting for convergence`)

    const checkOptions = {
      organization,
      pipelineAccount,
      authorize: (robot: string, token: string, repo: string, access: "push" | "pull") =>
        simAuthorizes(sim.url, robot, token, repo, access)
    }
    const convergenceStart = Date.now()
    let convergenceSeconds: number | undefined
    let last: InvariantReport | undefined
    let lastPrint = 0
    while (Date.now() - convergenceStart < options.convergenceBoundSeconds * 1000) {
      last = await checkInvariants(await observe(namespace, sim.url), checkOptions)
      if (last.counts.lost === 0 && last.counts.stuck === 0) {
        convergenceSeconds = (Date.now() - convergenceStart) / 1000
        break
      }
      if (Date.now() - lastPrint > 15_000) {
        lastPrint = Date.now()
        print(`  converging: ${last.counts.lost} not settled, ${last.counts.stuck} being deleted (${last.problems[0] ?? ""})`)
      }
      await sleep(2_000)
    }
    print(convergenceSeconds === undefined
      ? `  NOT converged within ${options.convergenceBoundSeconds} s`
      : `  converged in ${convergenceSeconds.toFixed(1)} s; running the orphan sweep`)

    const sweeper = startOperator(`soak-sweep-${randomBytes(3).toString("hex")}`, {
      KUBECONFIG: kubeconfig,
      WATCH_NAMESPACE: namespace,
      QUAY_API_URL: sim.apiUrl,
      QUAY_ORG: organization,
      QUAY_TOKEN: token,
      LOG_FORMAT: "json"
    }, { args: ["sweep"] })
    let sweepTimer: NodeJS.Timeout | undefined
    const exitCode = await Promise.race([
      sweeper.exited,
      new Promise<number | null>((resolve) => {
        sweepTimer = setTimeout(() => resolve(sweeper.stop("SIGKILL")), 120_000)
      })
    ])
    clearTimeout(sweepTimer)
    await sweeper.stop()
    const sweepLines = sweeper.log().split("\n").filter((line) => line !== "")

    const invariants = await checkInvariants(await observe(namespace, sim.url), checkOptions)
    await replicas.scrape()
    const scan = await scanRun(watch, {
      logLines: [...replicas.logLines(), ...sweepLines.map((text) => ({ source: "sweep output", text }))],
      namespaces: [namespace],
      kinds: ["imagerepositories", "components"],
      other: replicas.scrapes()
    })
    const state = await simState(sim.url)
    const counts = invariants.counts
    const passed = convergenceSeconds !== undefined && exitCode === 0 && scan.findings.length === 0 &&
      Object.values(counts).every((n) => n === 0)
    const report: SoakReport = {
      seed: options.seed,
      drivingSeconds,
      operations,
      faultsInjected: state.faultsInjected,
      quayRequests: state.requests.total,
      replicas: replicas.counts(),
      convergenceBoundSeconds: options.convergenceBoundSeconds,
      convergenceSeconds,
      sweep: { exitCode, lines: sweepLines },
      invariants,
      hygiene: {
        logLines: scan.lines,
        events: scan.events,
        objects: scan.objects,
        metricsScrapes: scan.other,
        tokens: scan.tokens,
        findings: scan.findings.length
      },
      passed
    }
    for (const line of reportLines(report)) options.print(line)
    return report
  } finally {
    print("  cleaning up: deleting the objects while the operator runs, then stopping it")
    watch.stop()
    // Objects go while their operator still runs, so finalizers are released and the namespace can terminate.
    await kubectl(["delete", "imagerepositories,components", "--all", "-n", namespace, "--wait=true", "--timeout=120s"]).catch(() => "")
    await replicas.stop()
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await kubectl(["delete", "namespace", namespace, "--wait=false"]).catch(() => "")
    Fs.rmSync(kubeconfig, { force: true })
    print("  done")
  }
}
