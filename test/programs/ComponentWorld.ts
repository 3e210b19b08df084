import { Effect, Option } from "effect"
import * as ComponentDomain from "../../src/domain/Component.ts"
import { type ImageAnswer, imageAnswer } from "../../src/domain/ComponentImageAnnotations.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileComponent } from "../../src/programs/reconcileComponent.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { cost, getSecret, namespace, ref } from "./World.ts"

/** The legacy flow's side of the in-memory world (World.ts): Components, as a user applies and edits them. */

export const generate = ComponentDomain.generateAnnotation
export const image = ComponentDomain.imageAnnotation
export const deleteImageRepo = ComponentDomain.deleteImageRepoAnnotation

/** What `kubectl apply` of a Component does: the spec's example by default (`city-transit`, its own name). */
export const applyComponent = (
  name: string,
  annotations: Record<string, string> = {},
  spec: Record<string, unknown> = { application: "city-transit", componentName: name },
  metadata: Record<string, unknown> = {}
) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.put(Kinds.Component, {
      apiVersion: "appstudio.redhat.com/v1alpha1",
      kind: "Component",
      metadata: { name, namespace, annotations, ...metadata },
      spec
    }))

/** A user's merge patch of the Component's annotations (null removes one). */
export const annotateComponent = (name: string, annotations: Record<string, string | null>) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.patch(Kinds.Component, ref(name), { metadata: { annotations } }))

export const deleteComponent = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.delete(Kinds.Component, ref(name)))

export const getComponent = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.get(Kinds.Component, ref(name))).pipe(Effect.map(Option.getOrUndefined))

export const mustGetComponent = (name: string) =>
  Effect.flatMap(getComponent(name), (c) => (c === undefined ? Effect.dieMessage(`Component ${name} is gone`) : Effect.succeed(c)))

/** The answer on the Component, parsed; the raw annotation text is `annotations[image]`. */
export const answerOf = (name: string) =>
  Effect.map(getComponent(name), (c): ImageAnswer => imageAnswer(c?.metadata.annotations))

/**
 * Reconciles until a pass succeeds having made no Quay call and no write, as the controller would over the events
 * its own writes cause; transient failures are retried. Dies if it never settles.
 */
export const convergeComponent = (name: string, maxPasses = 30) =>
  Effect.gen(function*() {
    for (let pass = 1; pass <= maxPasses; pass++) {
      const before = yield* cost
      const ok = yield* reconcileComponent(ref(name)).pipe(
        Effect.as(true),
        Effect.catchTag("Transient", () => Effect.succeed(false))
      )
      const after = yield* cost
      if (ok && after.quayCalls === before.quayCalls && after.writes === before.writes) return pass
    }
    return yield* Effect.dieMessage(`Component ${name} did not converge in ${maxPasses} passes`)
  })

/** Whether the Component's push Secret holds credentials Quay accepts for `access` to `repository`. */
export const componentSecretGrants = (secretName: string, imageUrl: string, repository: string, access: "push" | "pull") =>
  Effect.gen(function*() {
    const quay = yield* QuayInMemory.QuayControl
    const secret = yield* getSecret(secretName)
    if (secret === undefined) return false
    const credentials = RobotSecret.credentialsIn(secret, imageUrl)
    if (Option.isNone(credentials)) return false
    return yield* quay.authorize(credentials.value.username, credentials.value.token, repository, access)
  })
