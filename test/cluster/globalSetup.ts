/**
 * Brings the local control plane up once per test run and hands its kubeconfig to the tests
 * (`inject("kubeconfig")`). A running control plane is reused. At the end the run gives up its lease: a
 * cluster that test runs started stops when the last run using it ends; one started by hand stays up.
 * Failing to build or start it fails the run: never a silent skip.
 */
import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import * as ControlPlane from "../../src/cluster/ControlPlane.ts"

declare module "vitest" {
  export interface ProvidedContext {
    readonly kubeconfig: string
  }
}

/** A cold build of the binaries takes minutes; a hung one must still end. */
const setupLimit = "45 minutes"

/** CLUSTER_STATE_DIR gives a run its own cluster, away from operators that others run on the shared one. */
const stateDir = process.env["CLUSTER_STATE_DIR"]
const where: ControlPlane.ControlPlaneOptions = stateDir === undefined ? {} : { stateDir }

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const plane = await Effect.runPromise(
    ControlPlane.up({ ...where, lease: true, onProgress: (line) => process.stderr.write(`${line}\n`) }).pipe(
      Effect.timeoutFail({
        duration: setupLimit,
        onTimeout: () => new ControlPlane.ControlPlaneError({ reason: `the control plane was not up within ${setupLimit}` })
      }),
      Effect.mapError((error) => new Error(`cluster tests need the local control plane: ${error.message}`))
    )
  )
  project.provide("kubeconfig", plane.kubeconfig)
  return async () => {
    await Effect.runPromise(ControlPlane.release(where))
  }
}
