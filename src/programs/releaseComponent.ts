import { Effect, Either, Option } from "effect"
import { type Component, deleteImageRepoAnnotation, deletesRepository, hasFinalizer } from "../domain/Component.ts"
import { isOwnedBy } from "../domain/Ownership.ts"
import { Quay } from "../services/Quay.ts"
import { done } from "../services/ReconcileResult.ts"
import * as ComponentTarget from "./ComponentTarget.ts"
import { release } from "./ComponentWrites.ts"
import { fromQuay } from "./errors.ts"

/**
 * The repository goes only when it is shown to be this Component's: its mark names the Component's uid. One the
 * annotations or spec name that is not (someone else's, or a name edited later) is left alone.
 */
const deleteOwnRepository = (component: Component) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const target = ComponentTarget.chosen(component, quay)
    if (Either.isLeft(target)) return
    const found = yield* quay.getRepository(target.right.repository).pipe(Effect.mapError(fromQuay))
    if (Option.isNone(found)) return
    if (!isOwnedBy(found.value.description, component.metadata)) {
      return yield* Effect.logInfo(`repository ${found.value.name} is left in Quay: it is not this Component's`)
    }
    yield* quay.deleteRepository(found.value.name).pipe(Effect.mapError(fromQuay))
  })

/**
 * A Component's deletion: its push and pull robots always go (their names derive from its uid, so they are its
 * own); its repository goes too when the Component carries `image.redhat.com/delete-image-repo`, and stays
 * otherwise, for the images already pushed there. Then the finalizer is removed, and garbage collection takes the
 * push Secret. Quay failures keep the finalizer, and the deletion is retried.
 */
export const releaseComponent = (component: Component) =>
  Effect.gen(function*() {
    if (!hasFinalizer(component)) return done
    const quay = yield* Quay
    const robots = [
      ComponentTarget.robotOf(component, "push", quay.organization),
      ComponentTarget.robotOf(component, "pull", quay.organization)
    ]
    yield* Effect.forEach(robots, (robot) => quay.deleteRobot(robot).pipe(Effect.mapError(fromQuay)), { discard: true })
    if (deletesRepository(component)) yield* deleteOwnRepository(component)
    else yield* Effect.logInfo(`the Component's repository is kept (no ${deleteImageRepoAnnotation} annotation)`)
    yield* release(component)
    yield* Effect.logInfo("released")
    return done
  }).pipe(Effect.withSpan("releaseComponent"))
