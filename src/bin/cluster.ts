/**
 * `npm run cluster -- up|down|status`: the local control plane for development and tests.
 * `up` is idempotent: with a healthy cluster already running it only prints the kubeconfig path.
 * CLUSTER_STATE_DIR overrides where it lives (default `.local/cluster`); CLUSTER_CACHE_DIR, K8S_VERSION and
 * ETCD_VERSION are read by the build (scripts/cluster/build.sh).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Option } from "effect"
import * as ControlPlane from "../cluster/ControlPlane.ts"

const progress = (line: string) => process.stderr.write(`${line}\n`)
const stateDir = process.env["CLUSTER_STATE_DIR"]
const where: ControlPlane.ControlPlaneOptions = stateDir === undefined ? {} : { stateDir }

const commands: Record<string, Effect.Effect<void, ControlPlane.ControlPlaneError>> = {
  up: Effect.gen(function*() {
    const started = Date.now()
    const plane = yield* ControlPlane.up({ ...where, onProgress: progress })
    if (plane.started) progress(`cluster: up in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    else progress("cluster: already running")
    progress(`cluster: export KUBECONFIG=${plane.kubeconfig}`)
    yield* Console.log(plane.kubeconfig)
  }),
  down: ControlPlane.down(where).pipe(Effect.zipRight(Console.log("cluster: stopped"))),
  status: Effect.gen(function*() {
    const running = yield* ControlPlane.status(where)
    yield* Console.log(yield* ControlPlane.statusReason(where))
    if (Option.isNone(running)) process.exitCode = 1
  })
}

const command = process.argv[2] ?? ""
const program = commands[command]
if (program === undefined) {
  process.stderr.write("usage: npm run cluster -- up|down|status\n")
  process.exitCode = 2
} else {
  program.pipe(
    Effect.catchTag("ControlPlaneError", (e) =>
      Effect.sync(() => {
        process.stderr.write(`cluster: ${e.message}\n`)
        process.exitCode = 1
      })
    ),
    NodeRuntime.runMain({ disableErrorReporting: true })
  )
}
