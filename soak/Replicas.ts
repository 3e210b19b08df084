/**
 * The operator as two real replicas with leader election, killed with SIGKILL and restarted: each incarnation gets
 * a fresh identity (POD_NAME), so a Lease held by someone else afterwards is a failover, never the same process
 * renewing. Watches the Lease for holder changes and scrapes every live replica's /metrics for the hygiene scan.
 */
import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import * as FreePort from "../src/cluster/FreePort.ts"
import { kubectl } from "../test/cluster/e2e/kubectl.ts"
import { operatorNamespace } from "../test/cluster/e2e/OperatorIdentity.ts"
import type { OperatorProcess } from "../test/cluster/e2e/OperatorProcess.ts"
import { launch, type Rig } from "../test/cluster/e2e/Rig.ts"

const slots = ["a", "b"] as const
type Slot = (typeof slots)[number]

/** Each incarnation logs in the next format, so the hygiene scan reads all three. */
const formats = ["json", "logfmt", "pretty"] as const

interface Incarnation {
  readonly slot: Slot
  readonly identity: string
  readonly process: OperatorProcess
  readonly metricsPort: number
  alive: boolean
}

export interface ReplicaCounts {
  readonly kills: number
  readonly leaderKills: number
  readonly restarts: number
  readonly failovers: number
}

export interface Replicas {
  readonly counts: () => ReplicaCounts
  readonly leader: () => string | undefined
  /** SIGKILL: the current leader's replica, or the other slot when there is no leader or `leader` is false. */
  readonly kill: (options: { readonly leader: boolean; readonly slot: Slot }) => Promise<Slot>
  readonly restart: (slot: Slot) => void
  /** Restarts any slot that is down (after the chaos, before convergence). */
  readonly ensureRunning: () => void
  /** Every incarnation's whole log, line by line, with where it came from. */
  readonly logLines: () => ReadonlyArray<{ readonly source: string; readonly text: string }>
  readonly scrapes: () => ReadonlyArray<{ readonly source: string; readonly text: string }>
  /** One scrape of every live replica now. */
  readonly scrape: () => Promise<void>
  readonly stop: () => Promise<void>
}

export const slotNames: ReadonlyArray<Slot> = slots

const freePort = (): Promise<number> => Effect.runPromise(FreePort.freePort)

export interface ReplicaOptions {
  readonly rig: Pick<Rig, "sim" | "namespace" | "token" | "apiUrl">
  /** The operator's ServiceAccount kubeconfig (config/rbac), never the admin's. */
  readonly kubeconfig: string
  /** Request timeout against Quay: injected timeouts cost this much each. */
  readonly quayTimeout: string
}

export const startReplicas = async (options: ReplicaOptions): Promise<Replicas> => {
  const run = randomBytes(3).toString("hex")
  const leaseName = `soak-${run}`
  const incarnations: Array<Incarnation> = []
  const scraped: Array<{ source: string; text: string }> = []
  const counts = { kills: 0, leaderKills: 0, restarts: 0, failovers: 0 }
  let holder: string | undefined

  const start = async (slot: Slot) => {
    const n = incarnations.length + 1
    const identity = `soak-${run}-${slot}${n}`
    const metricsPort = await freePort()
    const process = launch(identity, {
      ...options.rig,
      options: {
        kubeconfig: options.kubeconfig,
        leaseNamespace: operatorNamespace,
        logFormat: formats[incarnations.length % formats.length] ?? "json",
        // Failover within about 20 s of a kill; a retry period of 2 s (each Lease request's limit) rides out the
        // apiserver's slow moments on a busy machine, where 1 s made the leader step down now and then.
        lease: ["15s", "10s", "2s"],
        env: {
          LEASE_NAME: leaseName,
          POD_NAME: identity,
          METRICS_PORT: String(metricsPort),
          QUAY_TIMEOUT: options.quayTimeout
        }
      }
    })
    incarnations.push({ slot, identity, process, metricsPort, alive: true })
  }
  const current = (slot: Slot) => incarnations.findLast((i) => i.slot === slot && i.alive)

  // The Lease's holder, once a second: a change from one holder to another is a failover.
  let watching = true
  const leaseWatch = (async () => {
    while (watching) {
      try {
        const lease = JSON.parse(await kubectl(["get", "lease", leaseName, "-n", operatorNamespace, "-o", "json"])) as {
          readonly spec?: { readonly holderIdentity?: string | null }
        }
        const now = lease.spec?.holderIdentity ?? undefined
        if (now !== undefined && now !== "" && now !== holder) {
          if (holder !== undefined) counts.failovers += 1
          holder = now
        }
      } catch {
        // Not created yet, or the apiserver was busy: asked again in a second.
      }
      await new Promise((r) => setTimeout(r, 1_000))
    }
  })()

  const scrape = async () => {
    await Promise.all(incarnations.filter((i) => i.alive).map(async (i) => {
      try {
        const response = await fetch(`http://127.0.0.1:${i.metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) })
        scraped.push({ source: `metrics of ${i.identity}`, text: await response.text() })
      } catch {
        // Starting up, or killed just now: the next scrape reads it.
      }
    }))
  }
  const scrapeTimer = setInterval(() => void scrape(), 10_000)

  for (const slot of slots) await start(slot)

  const replicas: Replicas = {
    counts: () => ({ ...counts }),
    leader: () => holder,
    kill: async ({ leader, slot }) => {
      const leading = incarnations.find((i) => i.alive && i.identity === holder)
      const victim = leader && leading !== undefined ? leading : current(slot)
      if (victim === undefined) return slot
      victim.alive = false
      await victim.process.stop("SIGKILL")
      counts.kills += 1
      if (victim.identity === holder) counts.leaderKills += 1
      return victim.slot
    },
    restart: (slot) => {
      if (current(slot) !== undefined) return
      counts.restarts += 1
      void start(slot)
    },
    ensureRunning: () => {
      for (const slot of slots) replicas.restart(slot)
    },
    logLines: () =>
      incarnations.flatMap((i) =>
        i.process.log().split("\n").filter((line) => line !== "").map((text) => ({ source: `log of ${i.identity}`, text }))
      ),
    scrapes: () => scraped,
    scrape,
    stop: async () => {
      watching = false
      clearInterval(scrapeTimer)
      await Promise.all(incarnations.filter((i) => i.alive).map(async (i) => {
        i.alive = false
        await i.process.stop("SIGTERM")
      }))
      await leaseWatch
    }
  }
  return replicas
}
