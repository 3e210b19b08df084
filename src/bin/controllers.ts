/**
 * The operator's controllers, declared as controller-runtime declares them: what each reconciles, owns and
 * watches, and its reconcile program. `operator.ts`, `local.ts` and the bench run them in one manager.
 */
import { pipe } from "effect"
import { managedSecretSelector } from "../domain/Secret.ts"
import { reconcileImageRepository } from "../programs/reconcileImageRepository.ts"
import * as Controller from "../runtime/Controller.ts"
import { ImageRepository, Secret } from "../services/ResourceKind.ts"

export interface ControllerSettings {
  /** Objects reconciled at once, per controller. Default 2. */
  readonly workers?: number | undefined
}

/** ImageRepositories, owning the push Secrets the operator writes (only those: they carry its label). */
export const imageRepositories = (settings: ControllerSettings = {}) =>
  pipe(
    Controller.make(ImageRepository, {
      name: "imagerepository",
      reconcile: reconcileImageRepository,
      workers: settings.workers,
      reconcileTimeout: "5 minutes"
    }),
    Controller.owns(Secret, { labelSelector: managedSecretSelector })
  )
