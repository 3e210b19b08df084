/**
 * What a measurement cost the control plane next to the controller: the apiserver's and etcd's CPU seconds (from
 * /proc, through the pid files the local control plane keeps in its state directory) and the apiserver's requests
 * by verb and resource. On two shared cores these say what bounds a burst.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect } from "effect"
import * as Cluster from "./Cluster.ts"

/** The control-plane processes whose CPU time is counted. */
export const components = ["kube-apiserver", "etcd"] as const
export type Component = typeof components[number]

const clockTicks = 100

/** User + system CPU seconds of a process, or undefined when it cannot be read (a cluster given by kubeconfig). */
const processCpuSeconds = (pid: number): number | undefined => {
  try {
    const text = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / clockTicks
  } catch {
    return undefined
  }
}

const pidOf = (stateDir: string, component: Component): number | undefined => {
  try {
    const pid = Number(Fs.readFileSync(Path.join(stateDir, `${component}.pid`), "utf8").trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Each component's CPU seconds so far; empty when the cluster is not the local control plane. */
export const cpuSeconds = (cluster: Cluster.Cluster): Effect.Effect<Partial<Record<Component, number>>> =>
  Effect.sync(() => {
    const stateDir = cluster.stateDir
    const seconds: Partial<Record<Component, number>> = {}
    if (stateDir === undefined) return seconds
    for (const component of components) {
      const pid = pidOf(stateDir, component)
      const cpu = pid === undefined ? undefined : processCpuSeconds(pid)
      if (cpu !== undefined) seconds[component] = cpu
    }
    return seconds
  })

/** The difference of two readings, only what grew, largest first. */
export const requestsSince = (before: Cluster.ApiserverRequests, after: Cluster.ApiserverRequests): ReadonlyArray<readonly [string, number]> =>
  [...after].map(([key, n]) => [key, n - (before.get(key) ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])

/** A reading of both, to take around a measurement. */
export interface Reading {
  readonly cpu: Partial<Record<Component, number>>
  readonly requests: Cluster.ApiserverRequests
}

export const read = (cluster: Cluster.Cluster): Effect.Effect<Reading, Cluster.ClusterError> =>
  Effect.all({ cpu: cpuSeconds(cluster), requests: Cluster.apiserverRequests(cluster) })

export interface Load {
  /** CPU seconds each component spent between the readings (absent when not readable). */
  readonly cpuSeconds: Partial<Record<Component, number>>
  readonly requests: ReadonlyArray<readonly [string, number]>
}

export const since = (before: Reading, after: Reading): Load => {
  const cpu: Partial<Record<Component, number>> = {}
  for (const component of components) {
    const a = after.cpu[component]
    const b = before.cpu[component]
    if (a !== undefined && b !== undefined) cpu[component] = a - b
  }
  return { cpuSeconds: cpu, requests: requestsSince(before.requests, after.requests) }
}
