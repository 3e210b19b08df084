/**
 * The operator's controllers, declared as controller-runtime declares them: what each reconciles, owns and
 * watches, and its reconcile program. `operator.ts`, `local.ts` and the bench run them in one manager.
 */
import { Effect, pipe, Schema } from "effect"
import { ImageRepository as ImageRepositorySchema } from "../domain/ImageRepository.ts"
import { refOf } from "../domain/ObjectMeta.ts"
import { managedSecretSelector } from "../domain/Secret.ts"
import { awaitsLink } from "../domain/ServiceAccountLinks.ts"
import { reconcileImageRepository } from "../programs/reconcileImageRepository.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ProgramSettings from "../services/ProgramSettings.ts"
import { ImageRepository, Secret, ServiceAccount } from "../services/ResourceKind.ts"

export interface ControllerSettings {
  /** Objects reconciled at once, per controller. Default 2. */
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
export const imageRepositories = (settings: ControllerSettings = {}) => {
  const programSettings = settings.programSettings ?? ProgramSettings.defaults
  return pipe(
    Controller.make(ImageRepository, {
      name: "imagerepository",
      reconcile: (ref) =>
        reconcileImageRepository(ref).pipe(Effect.provideService(ProgramSettings.ProgramSettings, programSettings)),
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
}
