/** kubectl against the test cluster, for applying YAML as a user would. */
import { execFile } from "node:child_process"
import { kubeconfigPath } from "./clusterKubeconfig.ts"

/** kubectl against the cluster of `kubeconfig` (a test with a control plane of its own passes its own). */
export const kubectlAt = (kubeconfig: string, args: ReadonlyArray<string>, input?: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      ["--kubeconfig", kubeconfig, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`kubectl ${args.join(" ")}: ${stderr}`)))
    )
    if (input !== undefined) child.stdin?.end(input)
  })

export const kubectl = (args: ReadonlyArray<string>, input?: string): Promise<string> =>
  kubectlAt(kubeconfigPath(), args, input)

export const getJson = async <A>(kind: string, namespace: string, name: string): Promise<A | undefined> => {
  try {
    return JSON.parse(await kubectl(["get", kind, name, "-n", namespace, "-o", "json"])) as A
  } catch (error) {
    if (error instanceof Error && error.message.includes("NotFound")) return undefined
    throw error
  }
}

/** Polls until `check` returns a value (not undefined), or fails with the last observation. */
export const eventually = async <A>(
  what: string,
  check: () => Promise<A | undefined>,
  timeoutMs = 30_000
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`)
}
