import { Data, Duration } from "effect"
import { Critical, Transient } from "../domain/ReconcileError.ts"
import type { KubernetesError } from "../services/KubernetesError.ts"
import type { QuayError } from "../services/QuayError.ts"


/** A wait the server asked for (Retry-After), so the work queue does not come back sooner. */
const retryAfterOf = (error: KubernetesError | QuayError): { readonly retryAfter?: Duration.Duration } => {
  const seconds =
    error._tag === "KubernetesUnavailable" || error._tag === "QuayRateLimited" ? error.retryAfterSeconds : undefined
  return seconds === undefined ? {} : { retryAfter: Duration.seconds(seconds) }
}

/**
 * A conflict means the object moved on since it was read (a user's edit, a cache a moment behind): the reconcile
 * simply runs again on the new version, so it is not worth telling the user about.
 */
export const isRoutineRetry = (error: Transient): boolean => error.reason === "KubernetesConflict"

/** Any apiserver failure is retried: the object is never failed because the apiserver hiccuped. */
export const fromKubernetes = (error: KubernetesError): Transient =>
  new Transient({ reason: error._tag, message: error.message, ...retryAfterOf(error) })

/**
 * Whether a Quay failure may clear by itself: transient ones, and an unusable operator token (an administrator
 * rotates it; neither is the object's fault). Anything else is a request Quay will never accept.
 */
export const isRetryable = (error: QuayError): boolean => error.transient || error._tag === "QuayUnauthorized"

/** A Quay failure during provisioning: what may clear by itself is retried; anything else Quay refuses is critical. */
export const fromQuayWhileProvisioning = (error: QuayError): Critical | Transient =>
  isRetryable(error)
    ? new Transient({ reason: error._tag, message: error.message, ...retryAfterOf(error) })
    : new Critical({ reason: error._tag, message: error.message })

/** A Quay failure after provisioning is never critical: the object stays ready and the operation is retried. */
export const fromQuay = (error: QuayError): Transient =>
  new Transient({ reason: error._tag, message: error.message, ...retryAfterOf(error) })

/** The Quay repository was deleted behind the operator's back: provisioning creates it again. */
export class RepositoryMissing extends Data.TaggedError("RepositoryMissing")<{ readonly repository: string }> {}
