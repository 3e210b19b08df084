/**
 * The operator's controllers, declared as controller-runtime declares them: what each reconciles, owns and
 * watches, and its reconcile program. `operator.ts`, `local.ts` and the bench run them in one manager.
 */
import { pipe } from "effect"
import { managedSecretSelector } from "../domain/Secret.ts"
import { reconcileComponent } from "../programs/reconcileComponent.ts"
import { reconcileImageRepository } from "../programs/reconcileImageRepository.ts"
import * as Controller from "../runtime/Controller.ts"
import { Component, ImageRepository, Secret } from "../services/ResourceKind.ts"

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
