import { Effect, Either, Option } from "effect"
import { type Component, generateAnnotation, ownerKind } from "../domain/Component.ts"
import { type ImageAnswer, imageAnswer, isGenerated } from "../domain/ComponentImageAnnotations.ts"
import { isOwnedBy } from "../domain/Ownership.ts"
import type { Critical } from "../domain/ReconcileError.ts"
import * as TransitionEvent from "../domain/TransitionEvent.ts"
import type { Visibility } from "../domain/Visibility.ts"
import { Quay } from "../services/Quay.ts"
import { isQuayError } from "../services/QuayError.ts"
import { done } from "../services/ReconcileResult.ts"
import * as ComponentTarget from "./ComponentTarget.ts"
import { answer, claim, refuse } from "./ComponentWrites.ts"
import { ensureRepository } from "./ensureRepository.ts"
import { fromQuay, fromQuayWhileProvisioning } from "./errors.ts"
import { recordEvent } from "./recordEvent.ts"
import { obtainRobot } from "./robotAccount.ts"
import { writeRobotSecret } from "./writeRobotSecret.ts"

/** The original controller's words for a plan that refuses private repositories, kept for whoever greps for them. */
export const privateRefusedMessage = "Quay organization plan doesn't allow private image repositories"

/** A refusal as the answer says it: the legacy flow's own words where it has them. */
const legacyMessage = (error: Critical, target: ComponentTarget.ComponentTarget): string => {
  switch (error.reason) {
    case "PrivateRepositoriesLimit":
      return privateRefusedMessage
    case "RepositoryNameTaken":
      return `Quay repository '${target.repository}' already exists and is not this Component's; it was not used`
    case "RobotNameTaken":
    case "SecretNameTaken":
      return error.message
    default:
      return `failed to generate image repository: ${error.message}`
  }
}

/**
 * Everything, in order, each step finding what an interrupted attempt left: the repository (marked, created with
 * the requested visibility, or the Component's own one found again), the push robot with write permission, the
 * pull robot with read permission, the push Secret (owned by the Component), then the answer. A refusal answers
 * with its message; nothing of someone else's is ever used.
 */
const provision = (component: Component, target: ComponentTarget.ComponentTarget, visibility: Visibility) =>
  Effect.gen(function*() {
    yield* ensureRepository(component, target, visibility, ownerKind)
    const push = yield* obtainRobot(
      component,
      { shortName: target.pushRobot, repository: target.repository, permission: "write" },
      { kind: ownerKind }
    ).pipe(Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuayWhileProvisioning(e))))
    yield* obtainRobot(
      component,
      { shortName: target.pullRobot, repository: target.repository, permission: "read" },
      { kind: ownerKind }
    ).pipe(Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuayWhileProvisioning(e))))
    yield* writeRobotSecret(component, target.imageUrl, { role: "push", secretName: target.secretName }, push, ownerKind)
    yield* Effect.logInfo(`generated ${target.imageUrl} for Component ${component.metadata.name}`)
    yield* answer(component, { image: target.imageUrl, visibility, secret: target.secretName })
    yield* recordEvent(component, TransitionEvent.imageGenerated(target.imageUrl, visibility, target.secretName), ownerKind)
  }).pipe(
    // Nothing was generated: the answer is the message alone, and the repository is absent or as it was.
    Effect.catchTag("Critical", (error) => refuse(component, {}, error.reason, legacyMessage(error, target)))
  )

/**
 * A request on a Component that has its repository already: its visibility, toggled when the request asks for
 * the other one. The repository is read first (one call), so one the answer names that is not this Component's
 * is never touched; one that is gone is generated again.
 */
const toggle = (
  component: Component,
  target: ComponentTarget.ComponentTarget,
  visibility: Visibility,
  previous: ImageAnswer
) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const found = yield* quay.getRepository(target.repository).pipe(Effect.mapError(fromQuay))
    if (Option.isNone(found)) return yield* provision(component, target, visibility)
    const repository = found.value
    if (!isOwnedBy(repository.description, component.metadata)) {
      return yield* refuse(
        component,
        previous,
        "RepositoryNotOwned",
        `Quay repository '${target.repository}' is not this Component's; it was not touched`
      )
    }
    if (repository.visibility !== visibility) {
      const refused = yield* quay.changeVisibility(target.repository, visibility).pipe(
        Effect.as(false),
        Effect.catchTag("QuayPlanLimitExceeded", () => Effect.succeed(true)),
        Effect.mapError(fromQuay)
      )
      if (refused) {
        return yield* refuse(
          component,
          { ...previous, visibility: repository.visibility },
          "PrivateRepositoriesLimit",
          privateRefusedMessage
        )
      }
      yield* Effect.logInfo(`visibility of ${target.imageUrl} changed to ${visibility}`)
    }
    yield* answer(component, { image: target.imageUrl, visibility, secret: target.secretName })
    if (repository.visibility !== visibility) {
      const changed = TransitionEvent.visibilityChanged(target.imageUrl, repository.visibility, visibility)
      yield* recordEvent(component, changed, ownerKind)
    }
  })

/**
 * Serves `image.redhat.com/generate` with a valid visibility: the first request generates the repository, its
 * robots and the push Secret; a later one toggles the repository's visibility. Either way the request is removed
 * and `image.redhat.com/image` answers it. The finalizer is written before the first Quay call.
 */
export const generateComponentImage = (component: Component, visibility: Visibility) =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const previous = imageAnswer(component.metadata.annotations)
    const target = ComponentTarget.chosen(component, quay)
    if (Either.isLeft(target)) return yield* refuse(component, previous, "InvalidImageName", target.left)
    const claimed = yield* claim(component)
    if (isGenerated(previous) && Option.isSome(ComponentTarget.recorded(component, quay))) {
      return yield* toggle(claimed, target.right, visibility, previous)
    }
    return yield* provision(claimed, target.right, visibility)
  }).pipe(
    Effect.as(done),
    Effect.withSpan("generateComponentImage", { captureStackTrace: false, attributes: { annotation: generateAnnotation, visibility } })
  )
