import { Effect, Either, Option } from "effect"
import {
  type Component,
  deleteImageRepoAnnotation,
  deletesRepository,
  hasFinalizer,
  kind,
  ownerKind
} from "../domain/Component.ts"
import { isOwnedBy, keptRepositoryDescription } from "../domain/Ownership.ts"
import * as TransitionEvent from "../domain/TransitionEvent.ts"
import { Quay } from "../services/Quay.ts"
import type { QuayError } from "../services/QuayError.ts"
import { done } from "../services/ReconcileResult.ts"
import * as ComponentTarget from "./ComponentTarget.ts"
import { release } from "./ComponentWrites.ts"
import type { Leftover } from "./deleteQuayObjects.ts"
import { deadlineOf, leftoversMessage, leftoversReason, retryBeforeDeadline } from "./deletionDeadline.ts"
import { recordEvent, recordWarning } from "./recordEvent.ts"

/** One deletion step: nothing left when it succeeds, what it left and why when Quay refused or failed. */
const attempt = <A>(what: string, step: Effect.Effect<A, QuayError, Quay>): Effect.Effect<ReadonlyArray<Leftover>, never, Quay> =>
  Effect.map(Effect.either(step), Either.match({ onLeft: (error) => [{ what, error }], onRight: () => [] }))

/**
 * The repository, when it is shown to be this Component's (its mark names the Component's uid): deleted with
 * delete-image-repo; otherwise kept for the images already pushed there, and its mark replaced, so it is nobody's
 * to delete, the orphan sweep's included. One the annotations or spec name that is not this Component's
 * (someone else's, or a name edited later) is left alone.
 */
const releaseOwnRepository = (component: Component) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const target = ComponentTarget.chosen(component, quay)
    if (Either.isLeft(target)) return []
    const repository = target.right.repository
    const remove = deletesRepository(component)
    return yield* attempt(
      `repository ${quay.organization}/${repository}`,
      Effect.gen(function*() {
        const found = yield* quay.getRepository(repository)
        if (Option.isNone(found)) return
        if (!isOwnedBy(found.value.description, component.metadata)) {
          return yield* Effect.logInfo(`repository ${found.value.name} is left in Quay: it is not this Component's`)
        }
        if (remove) return yield* quay.deleteRepository(found.value.name)
        yield* quay.setRepositoryDescription(
          found.value.name,
          keptRepositoryDescription(component.metadata, kind, `no ${deleteImageRepoAnnotation} annotation`)
        )
        yield* Effect.logInfo(`the Component's repository is kept (no ${deleteImageRepoAnnotation} annotation)`)
      })
    )
  })

/**
 * A Component's deletion, bounded as an ImageRepository's (deletionDeadline.ts): its push and pull robots always go
 * (their names derive from its uid, so they are its own); its repository goes too when the Component carries
 * `image.redhat.com/delete-image-repo`, and stays otherwise, unmarked. Then the finalizer
 * is removed, and garbage collection takes the push Secret. Quay failures that may clear are retried until the
 * deadline; past it, or at once for a refusal that will not clear, the finalizer is released with a Warning naming
 * what was left in Quay, so no namespace stays Terminating because Quay is down or the token revoked.
 */
export const releaseComponent = (component: Component) =>
  Effect.gen(function*() {
    if (!hasFinalizer(component)) return done
    const quay = yield* Quay
    const deadline = yield* deadlineOf(component.metadata)
    const robots = [
      ComponentTarget.robotOf(component, "push", quay.organization),
      ComponentTarget.robotOf(component, "pull", quay.organization)
    ]
    const robotLeftovers = yield* Effect.forEach(robots, (robot) =>
      attempt(`robot ${quay.organization}+${robot}`, quay.deleteRobot(robot)))
    const leftovers = [...robotLeftovers.flat(), ...(yield* releaseOwnRepository(component))]
    const retry = retryBeforeDeadline(leftovers, deadline)
    if (retry !== undefined) return yield* retry
    yield* release(component)
    if (leftovers.length === 0) {
      yield* Effect.logInfo("released")
      const repository = Either.match(ComponentTarget.chosen(component, quay), {
        onLeft: () => undefined,
        onRight: (target) => target.imageUrl
      })
      yield* recordEvent(component, TransitionEvent.componentReleased(repository, deletesRepository(component)), ownerKind)
      return done
    }
    const message = leftoversMessage(leftovers, deadline.bound, "what was left must be removed in Quay by hand.")
    yield* Effect.logWarning(`released with leftovers: ${message}`)
    yield* recordWarning(component, leftoversReason, message, ownerKind)
    return done
  }).pipe(Effect.withSpan("releaseComponent", { captureStackTrace: false }))
