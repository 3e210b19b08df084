import { Effect } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { KubernetesError } from "../services/KubernetesError.ts"
import { ImageRepository as ImageRepositoryKind, KonfluxImageRepository } from "../services/ResourceKind.ts"

/**
 * Every ImageRepository of a namespace, of both API groups: a repository may be shared across the groups while
 * users migrate, so who uses it, and who owns a marked Quay object, is asked of both. The newer group's CRD may
 * not be installed: then it has none. The original group's is always installed with the operator, so its list
 * failing is a failure (the orphan sweep must never take "not served" for "no objects" by mistake). One list per
 * group (from the informers' caches in the operator).
 */
export const imageRepositoriesIn = (namespace: string): Effect.Effect<ReadonlyArray<ImageRepository>, KubernetesError, Kubernetes> =>
  Effect.flatMap(Kubernetes, (kube) =>
    Effect.all([
      kube.list(ImageRepositoryKind, { namespace }).pipe(Effect.map((listed) => listed.items)),
      kube.list(KonfluxImageRepository, { namespace }).pipe(
        Effect.map((listed) => listed.items),
        Effect.catchTag("KubernetesNotFound", () => Effect.succeed([]))
      )
    ])).pipe(Effect.map(([original, newer]) => [...original, ...newer]))
