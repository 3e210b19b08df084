/**
 * Brings the local control plane up once per test run and hands its kubeconfig to the tests
 * (`inject("kubeconfig")`); builds (the first time) the registry and crane the registry round trips use and hands
 * their directory over (`inject("registryBinaries")`). A running control plane is reused. At the end the run gives up its lease: a
 * cluster that test runs started stops when the last run using it ends; one started by hand stays up.
 * Failing to build or start it fails the run: never a silent skip.
 */
import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import * as ControlPlane from "../../src/cluster/ControlPlane.ts"
import * as LocalRegistry from "../../src/simulator/LocalRegistry.ts"

declare module "vitest" {
  export interface ProvidedContext {
    readonly kubeconfig: string
    readonly registryBinaries: string
  }
}

/** A cold build of the registry and crane takes a few minutes. */
const registryBuildLimit = "30 minutes"

/** A cold build of the binaries takes minutes; a hung one must still end. */
const setupLimit = "45 minutes"

/** CLUSTER_STATE_DIR gives a run its own cluster, away from operators that others run on the shared one. */
const stateDir = process.env["CLUSTER_STATE_DIR"]
const where: ControlPlane.ControlPlaneOptions = stateDir === undefined ? {} : { stateDir }

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Both builds at once on a cold machine: one's module downloads overlap the other's compiling.
  const [plane, registry] = await Promise.allSettled([
    Effect.runPromise(
      ControlPlane.up({ ...where, lease: true, onProgress: (line) => process.stderr.write(`${line}\n`) }).pipe(
        Effect.timeoutFail({
          duration: setupLimit,
          onTimeout: () => new ControlPlane.ControlPlaneError({ reason: `the control plane was not up within ${setupLimit}` })
        }),
        Effect.mapError((error) => new Error(`cluster tests need the local control plane: ${error.message}`))
      )
    ),
    Effect.runPromise(
      LocalRegistry.ensureBinaries({ onProgress: (line) => process.stderr.write(`${line}\n`) }).pipe(
        Effect.timeoutFail({
          duration: registryBuildLimit,
          onTimeout: () => new LocalRegistry.LocalRegistryError({ reason: `the build did not finish within ${registryBuildLimit}` })
        }),
        Effect.mapError((error) => new Error(`the registry round trips need the registry and crane: ${error.message}`))
      )
    )
  ])
  if (plane.status === "rejected") throw plane.reason
  if (registry.status === "rejected") {
    await Effect.runPromise(ControlPlane.release(where))
    throw registry.reason
  }
  project.provide("kubeconfig", plane.value.kubeconfig)
  project.provide("registryBinaries", registry.value.dir)
  return async () => {
    await Effect.runPromise(ControlPlane.release(where))
  }
}
