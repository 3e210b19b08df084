import { Effect, Option } from "effect"
import { ownerKind as imageRepositoryKind } from "../domain/ImageRepository.ts"
import type { ObjectMeta, OwnerKind } from "../domain/ObjectMeta.ts"
import { isOwnedBy, repositoryDescription } from "../domain/Ownership.ts"
import { Critical, Transient } from "../domain/ReconcileError.ts"
import type { Visibility } from "../domain/Visibility.ts"
import { Quay } from "../services/Quay.ts"
import { isQuayError } from "../services/QuayError.ts"
import { fromQuayWhileProvisioning } from "./errors.ts"
import type { Target } from "./Target.ts"

/**
 * Creates the Quay repository, marked as this object's (an ImageRepository unless `kind` says otherwise).
 * "Already exists" is success only when the mark says the repository is this object's own (a retry after a
 * crash); someone else's repository is never taken over.
 */
export const ensureRepository = (
  ir: { readonly metadata: ObjectMeta },
  target: Pick<Target, "repository">,
  visibility: Visibility,
  kind: OwnerKind = imageRepositoryKind
) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const adoptOwn = Effect.gen(function*() {
      const existing = yield* quay.getRepository(target.repository)
      if (Option.isNone(existing)) {
        return yield* new Transient({
          reason: "RepositoryRace",
          message: `Quay repository '${target.repository}' vanished while it was being created; retrying`
        })
      }
      if (!isOwnedBy(existing.value.description, ir.metadata)) {
        return yield* new Critical({
          reason: "RepositoryNameTaken",
          message: `Quay repository '${target.repository}' already exists and is not managed by this ImageRepository; choose another spec.image.name`
        })
      }
      if (existing.value.visibility !== visibility) yield* quay.changeVisibility(target.repository, visibility)
    })
    yield* quay
      .createRepository({ name: target.repository, visibility, description: repositoryDescription(ir.metadata, kind.kind) })
      .pipe(
        Effect.catchTag("QuayRepositoryAlreadyExists", () => adoptOwn),
        Effect.catchTag(
          "QuayPlanLimitExceeded",
          () =>
            new Critical({
              reason: "PrivateRepositoriesLimit",
              message: "Number of private repositories exceeds current quay plan limit"
            })
        ),
        Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuayWhileProvisioning(e)))
      )
  })
