/** Commands a user would type (kubectl, make), run from the project root, with everything they print. */
import { execFile } from "node:child_process"
import { projectRoot } from "../../../src/cluster/ControlPlane.ts"
import { kubeconfigPath } from "../support.ts"

export interface Outcome {
  /** 0 on success. */
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export const run = (command: string, args: ReadonlyArray<string>, input?: string): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = execFile(command, args, { cwd: projectRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
    if (input !== undefined) child.stdin?.end(input)
  })

/** kubectl (from PATH, as the e2e tests use it) against the test cluster. */
export const kubectl = (args: ReadonlyArray<string>, input?: string): Promise<Outcome> =>
  run("kubectl", ["--kubeconfig", kubeconfigPath(), ...args], input)

/** What `KUBECTL=` must be for a make target to reach the test cluster (extra flags appended). */
export const kubectlForMake = (...flags: ReadonlyArray<string>): string =>
  ["kubectl", "--kubeconfig", kubeconfigPath(), ...flags].join(" ")

/** Fails with everything the command printed unless it succeeded. */
export const succeeded = (outcome: Outcome): Outcome => {
  if (outcome.code !== 0) throw new Error(`exit ${outcome.code}\n${outcome.stdout}\n${outcome.stderr}`)
  return outcome
}

export interface ObjectJson {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> }
  readonly [field: string]: unknown
}

/**
 * The objects of a kustomization (a directory, built by kubectl's kustomize) or of a manifest file, as JSON;
 * nothing is created.
 */
export const render = async (path: string): Promise<ReadonlyArray<ObjectJson>> => {
  const source = path.endsWith(".yaml") ? "-f" : "-k"
  const list = JSON.parse(succeeded(await kubectl(["apply", "--dry-run=client", "-o", "json", source, path])).stdout) as {
    readonly kind: string
    readonly items?: ReadonlyArray<ObjectJson>
  }
  return list.kind === "List" ? list.items ?? [] : [list as unknown as ObjectJson]
}
