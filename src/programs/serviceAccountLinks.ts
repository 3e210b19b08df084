import { Effect, Option } from "effect"
import * as Links from "../domain/ServiceAccountLinks.ts"
import type { ServiceAccount as ServiceAccountObject } from "../domain/ServiceAccount.ts"
import { Transient } from "../domain/ReconcileError.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { ServiceAccount } from "../services/ResourceKind.ts"
import { fromKubernetes } from "./errors.ts"

type WhenMissing = "retry" | "ignore"

/**
 * Rewrites a ServiceAccount's secret lists with `change`, guarded by its resourceVersion so a concurrent edit by
 * another controller is never overwritten; writes nothing when the lists are already right.
 */
const updateLinks = (
  namespace: string,
  name: string,
  change: (sa: ServiceAccountObject) => Links.Links,
  whenMissing: WhenMissing
) =>
  Effect.gen(function*() {
    const kube = yield* Kubernetes
    const found = yield* kube.get(ServiceAccount, { namespace, name }).pipe(Effect.mapError(fromKubernetes))
    if (Option.isNone(found)) {
      if (whenMissing === "ignore") return
      return yield* new Transient({
        reason: "ServiceAccountNotFound",
        message: `ServiceAccount '${name}' does not exist yet; the push Secret will be linked once it does`
      })
    }
    const sa = found.value
    const links = change(sa)
    if (!Links.changed(sa, links)) return
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
  }).pipe(Effect.withSpan("serviceAccountLinks.update", { attributes: { namespace, serviceAccount: name } }))

export const linkSecret = (namespace: string, serviceAccount: string, secret: string) =>
  updateLinks(namespace, serviceAccount, (sa) => Links.link(sa, secret), "retry")

export const verifySecretLinks = (namespace: string, serviceAccount: string, secret: string, secretExists: boolean) =>
  updateLinks(namespace, serviceAccount, (sa) => Links.verify(sa, secret, secretExists), "retry")

export const unlinkSecret = (namespace: string, serviceAccount: string, secret: string) =>
  updateLinks(namespace, serviceAccount, (sa) => Links.unlink(sa, secret), "ignore")
