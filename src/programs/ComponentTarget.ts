import { Either, Option } from "effect"
import type { Component } from "../domain/Component.ts"
import { imageAnswer } from "../domain/ComponentImageAnnotations.ts"
import { componentRepositoryName, imageUrl, repositoryFromUrl } from "../domain/RepositoryName.ts"
import { type RobotRole, robotShortName } from "../domain/RobotName.ts"
import type { Quay } from "../services/Quay.ts"

/** Everything a Component's legacy image flow maps to in Quay and in its namespace. */
export interface ComponentTarget {
  readonly repository: string
  readonly imageUrl: string
  /** The push Secret: named like the Component, as the spec's example shows (`"secret": "billing"`). */
  readonly secretName: string
  readonly pushRobot: string
  readonly pullRobot: string
}

type Registry = Pick<Quay, "organization" | "registryHost">

/**
 * A robot of the Component, derived from its identity alone (namespace, name, uid): a crash between creating it
 * and answering finds the same robot again, and a deletion knows its robots whatever the annotations say.
 */
export const robotOf = (component: Component, role: RobotRole, organization: string): string =>
  robotShortName(
    { namespace: component.metadata.namespace ?? "", name: component.metadata.name, uid: component.metadata.uid ?? "" },
    role,
    organization
  )

const targetFor = (component: Component, registry: Registry, repository: string): ComponentTarget => ({
  repository,
  imageUrl: imageUrl(registry.registryHost, registry.organization, repository),
  secretName: component.metadata.name,
  pushRobot: robotOf(component, "push", registry.organization),
  pullRobot: robotOf(component, "pull", registry.organization)
})

/**
 * The repository the answer records, when its URL lies under this organization and the Component's namespace:
 * it stays the Component's whatever later edits to spec say. Anyone may edit annotations, so whether the
 * repository is this Component's is confirmed in Quay (its mark) wherever it is touched.
 */
export const recorded = (component: Component, registry: Registry): Option.Option<ComponentTarget> =>
  Option.fromNullable(
    repositoryFromUrl(
      imageAnswer(component.metadata.annotations).image,
      registry.registryHost,
      registry.organization,
      component.metadata.namespace ?? ""
    )
  ).pipe(Option.map((repository) => targetFor(component, registry, repository)))

/** `<namespace>/<spec.application>/<spec.componentName>`, or why there is none (a message for the answer). */
export const requested = (component: Component, registry: Registry): Either.Either<ComponentTarget, string> => {
  const application = component.spec?.application ?? ""
  const name = component.spec?.componentName ?? ""
  if (application === "") return Either.left("spec.application is required to generate an image repository")
  if (name === "") return Either.left("spec.componentName is required to generate an image repository")
  return Either.map(
    Either.mapLeft(componentRepositoryName(component.metadata.namespace ?? "", application, name), (e) => e.message),
    (repository) => targetFor(component, registry, repository)
  )
}

/** The recorded target if there is one, else the one the spec asks for. */
export const chosen = (component: Component, registry: Registry): Either.Either<ComponentTarget, string> =>
  Option.match(recorded(component, registry), { onNone: () => requested(component, registry), onSome: Either.right })
