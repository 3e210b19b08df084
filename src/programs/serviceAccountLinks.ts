import { Effect, Option } from "effect"
import * as Links from "../domain/ServiceAccountLinks.ts"
import type { ServiceAccount as ServiceAccountObject } from "../domain/ServiceAccount.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { ServiceAccount } from "../services/ResourceKind.ts"
import { fromKubernetes } from "./errors.ts"

/**
 * Rewrites a ServiceAccount's secret lists with `change`, guarded by its resourceVersion so a concurrent edit by
 * another controller is never overwritten; writes nothing when the lists are already right. An account that does
 * not exist is left for later: it delays a link, never readiness, and the operator watches ServiceAccounts, so one
 * that appears wakes the objects that want it. Whether it wrote: a fix or a new link is worth an Event.
 */
const updateLinks = (namespace: string, name: string, change: (sa: ServiceAccountObject) => Links.Links) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const found = yield* kube.get(ServiceAccount, { namespace, name }).pipe(Effect.mapError(fromKubernetes))
    if (Option.isNone(found)) {
      yield* Effect.logDebug(`ServiceAccount '${name}' does not exist (yet): its links wait until it does`)
      return false
    }
    const sa = found.value
    const links = change(sa)
    if (!Links.changed(sa, links)) return false
    yield* kube
      .patch(
        ServiceAccount,
        { namespace, name },
        {
          metadata: { resourceVersion: sa.metadata.resourceVersion },
          secrets: links.secrets,
          imagePullSecrets: links.imagePullSecrets
        }
      )
      .pipe(Effect.mapError(fromKubernetes))
    return true
  }).pipe(Effect.withSpan("serviceAccountLinks.update", { captureStackTrace: false, attributes: { namespace, serviceAccount: name } }))

export const linkSecret = (namespace: string, serviceAccount: string, secret: string) =>
  updateLinks(namespace, serviceAccount, (sa) => Links.link(sa, secret))

export const verifySecretLinks = (namespace: string, serviceAccount: string, secret: string, secretExists: boolean) =>
  updateLinks(namespace, serviceAccount, (sa) => Links.verify(sa, secret, secretExists))

/** verify-linking for a Secret that no account here is meant to list: duplicates and dangling references go. */
export const verifySecretReferences = (
  namespace: string,
  serviceAccount: string,
  secret: string,
  secretExists: boolean
) => updateLinks(namespace, serviceAccount, (sa) => Links.verifyReferences(sa, secret, secretExists))

export const unlinkSecret = (namespace: string, serviceAccount: string, secret: string) =>
  updateLinks(namespace, serviceAccount, (sa) => Links.unlink(sa, secret))
