/**
 * What the operator runs, once its services are provided: the check of the Quay token (at the first Quay call), the credential
 * delivery mode, the manager with every controller (and the orphan sweep when set), the Quay availability probe,
 * the probes' endpoints and the credential-age gauge. `operator.ts` runs it in a cluster, `local.ts` beside the
 * local control plane, so both show the same operator.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { ImageRepository } from "../domain/ImageRepository.ts"
import { toMillis } from "../domain/Timestamp.ts"
import * as QuayHttp from "../layers/QuayHttp.ts"
import * as CredentialDelivery from "../runtime/CredentialDelivery.ts"
import * as HealthServer from "../runtime/HealthServer.ts"
import * as Manager from "../runtime/Manager.ts"
import type { OperatorConfig } from "../runtime/OperatorConfig.ts"
import * as QuayProbe from "../runtime/QuayProbe.ts"
import * as Telemetry from "../runtime/Telemetry.ts"
import { Quay } from "../services/Quay.ts"
import * as Kinds from "../services/ResourceKind.ts"
import * as Controllers from "./controllers.ts"

/** Runs until the scope closes; `healthPort` 0 serves no probes. */
export const runOperator = (config: OperatorConfig, healthPort: number) =>
  Effect.gen(function*() {
    const namespace = Option.getOrUndefined(config.watchNamespace)
    // Whether the token reaches what the operator needs, said once at the controllers' first Quay call: a restart
    // with every object converged asks Quay nothing (the availability probe's first run waits for that call too).
    const quayUse = yield* QuayHttp.checkedOnFirstUse
    const mode = yield* CredentialDelivery.resolve(config.remoteSecrets)
    const programSettings = {
      ...config.programSettings,
      credentialDelivery: mode.delivery,
      remoteSecretsServed: mode.served
    }
    const running = yield* Manager.run({
      controllers: [
        Controllers.imageRepositories({ workers: config.workers, programSettings }),
        Controllers.konfluxImageRepositories({ workers: config.workers, programSettings }),
        Controllers.components({ workers: config.workers })
      ],
      tasks: Option.match(config.orphanSweepInterval, {
        onNone: () => [],
        onSome: (interval) => [Controllers.orphanSweep({ interval, namespace })]
      }),
      namespace,
      resyncPeriod: config.resyncPeriod,
      leaderElection: Option.getOrUndefined(config.leaderElection)
    }).pipe(Effect.provideService(Quay, quayUse.quay))
    const quay = yield* QuayProbe.run({ firstProbeAfter: quayUse.used })
    if (healthPort > 0) yield* HealthServer.serve(healthPort, { ...running, trouble: quay.trouble })
    yield* Effect.flatMap(Telemetry.Telemetry, (telemetry) => telemetry.observe(credentialAge(running)))
    return running
  })

/**
 * Each ImageRepository's credential age, from the informer cache at scrape time: rotation policies alert on it,
 * and a deleted object's series goes with it.
 */
const credentialAge = (manager: Manager.Manager) => {
  const isImageRepository = Schema.is(ImageRepository)
  return {
    name: "imagerepository_credentials_age_seconds",
    help: "Seconds since the ImageRepository's robot tokens were generated (status.credentials.generationTimestamp)",
    observe: Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const objects = (yield* manager.cached(Kinds.ImageRepository)).filter(isImageRepository)
      return objects.flatMap((ir) => {
        const generated = toMillis(ir.status?.credentials?.generationTimestamp)
        return generated === undefined ? [] : [{
          labels: { namespace: ir.metadata.namespace ?? "", name: ir.metadata.name },
          value: Math.max(0, (now - generated) / 1000)
        }]
      })
    })
  }
}
