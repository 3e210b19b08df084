/**
 * The operator's controllers, declared as controller-runtime declares them: what each reconciles, owns and
 * watches, and its reconcile program. `operator.ts`, `local.ts` and the bench run them in one manager.
 */
import { type Duration, Effect, pipe, Schedule, Schema } from "effect"
import { ImageRepository as ImageRepositorySchema } from "../domain/ImageRepository.ts"
import { refOf } from "../domain/ObjectMeta.ts"
import { managedSecretSelector } from "../domain/Secret.ts"
import { awaitsLink } from "../domain/ServiceAccountLinks.ts"
import { componentOf } from "../domain/ComponentRepository.ts"
import { reconcileComponent } from "../programs/reconcileComponent.ts"
import { deliversThroughRemoteSecrets } from "../programs/remoteSecrets.ts"
import { reconcileImageRepository } from "../programs/reconcileImageRepository.ts"
import { reportLines, sweepOrphans } from "../programs/sweepOrphans.ts"
import * as Controller from "../runtime/Controller.ts"
import type { LeaderTask } from "../runtime/Manager.ts"
import type { Kubernetes } from "../services/Kubernetes.ts"
import * as ProgramSettings from "../services/ProgramSettings.ts"
import { Quay } from "../services/Quay.ts"
import { Component, Environment, ImageRepository, KonfluxImageRepository, RemoteSecret, Secret, ServiceAccount } from "../services/ResourceKind.ts"

export interface ControllerSettings {
  /** Objects reconciled at once, per controller. Default 16 (`Controller.defaultWorkers`). */
  readonly workers?: number | undefined
  /** What the programs are told (the pipeline ServiceAccount's name template); the spec's defaults when absent. */
  readonly programSettings?: ProgramSettings.ProgramSettingsOptions | undefined
}

const isImageRepository = Schema.is(ImageRepositorySchema)

/**
 * ImageRepositories, owning the Secrets the operator writes (only those: they carry its label), and watching
 * ServiceAccounts: one that appears, or loses a link, wakes the component repositories whose push Secret it should
 * list (read from the cache of ImageRepositories, in its namespace only). The programs and the mapping are given the
 * same settings, so they agree on which account that is.
 */
export const imageRepositories = (
  settings: ControllerSettings = {},
  kind: typeof ImageRepository = ImageRepository,
  name = "imagerepository"
) => {
  const programSettings = settings.programSettings ?? ProgramSettings.defaults
  const controller = pipe(
    Controller.make(kind, {
      name,
      reconcile: (ref) =>
        reconcileImageRepository(ref, kind).pipe(Effect.provideService(ProgramSettings.ProgramSettings, programSettings)),
      workers: settings.workers,
      reconcileTimeout: "5 minutes"
    }),
    Controller.owns(Secret, { labelSelector: managedSecretSelector }),
    Controller.watches(ServiceAccount, (account, reconciled) =>
      reconciled
        .inNamespace(account.metadata.namespace ?? "")
        .filter(isImageRepository)
        .filter((ir) => awaitsLink(ir, account, programSettings.pipelineServiceAccount))
        .map((ir) => refOf(ir.metadata)))
  )
  // Where RemoteSecrets are served: one deleted or changed wakes its owner (and Secret mode reads its leftovers from
  // the cache). RemoteSecret mode: an Environment that comes, changes or goes wakes the component repositories of its
  // namespace, whose pull RemoteSecret targets it.
  const owning = deliversThroughRemoteSecrets(programSettings) || programSettings.remoteSecretsServed === true
    ? pipe(controller, Controller.owns(RemoteSecret))
    : controller
  return deliversThroughRemoteSecrets(programSettings)
    ? pipe(
      owning,
      Controller.watches(Environment, (environment, reconciled) =>
        reconciled
          .inNamespace(environment.metadata.namespace ?? "")
          .filter(isImageRepository)
          .filter((ir) => componentOf(ir) !== undefined)
          .map((ir) => refOf(ir.metadata)))
    )
    : owning
}

/**
 * ImageRepositories of the original controller's newer API group (`konflux-ci.dev`): the same controller and
 * programs over the other kind; owned Secrets map to their owner by its group (`-img-push`/`-img-pull`). On a
 * cluster without that CRD its informer stays empty until the kind is served, holding nothing up.
 */
export const konfluxImageRepositories = (settings: ControllerSettings = {}) =>
  imageRepositories(settings, KonfluxImageRepository, "imagerepository-konflux")

export interface OrphanSweepSettings {
  readonly interval: Duration.Duration
  /** Only what is marked for this namespace's objects (the operator's WATCH_NAMESPACE). */
  readonly namespace?: string | undefined
}

/** Once per interval, counted from the end of the previous sweep. */
const sweepSchedule = (interval: Duration.Duration) => Schedule.spaced(interval)

/** One sweep, its report in the log; a sweep that fails is logged and the next one tries again. */
const sweepOnce = (namespace: string | undefined) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const report = yield* sweepOrphans({ dryRun: false, namespace })
    const lines = reportLines(quay.organization, report)
    const troubled = report.failures.length > 0 || report.unchecked.length > 0
    if (troubled) yield* Effect.forEach(lines, (line) => Effect.logWarning(line), { discard: true })
    else if (report.orphans.length > 0) yield* Effect.forEach(lines, (line) => Effect.logInfo(line), { discard: true })
    else yield* Effect.logDebug(lines.join("; "))
  }).pipe(Effect.catchAll((error) => Effect.logWarning(`orphan sweep failed: ${error.message}; the next one tries again`)))

/**
 * The periodic orphan sweep, a leader-only task: the first one interval after leadership is won (a replica that
 * restarts often does not sweep every time), then every interval.
 */
export const orphanSweep = (settings: OrphanSweepSettings): LeaderTask<Quay | Kubernetes> => ({
  name: "orphan-sweep",
  run: Effect.sleep(settings.interval).pipe(
    Effect.andThen(Effect.repeat(sweepOnce(settings.namespace), sweepSchedule(settings.interval))),
    Effect.asVoid,
    Effect.annotateLogs({ task: "orphan-sweep" })
  )
})

/**
 * Components of the legacy (deprecated) image flow: `image.redhat.com/generate` asks for a repository. Their push
 * Secrets need no watch: nothing restores them between requests. On a cluster without the Component kind the
 * informer stays empty until the kind is served (runtime/Informer.ts), and ImageRepositories are not held up.
 */
export const components = (settings: ControllerSettings = {}) =>
  Controller.make(Component, {
    name: "component",
    reconcile: reconcileComponent,
    workers: settings.workers,
    reconcileTimeout: "5 minutes"
  })
