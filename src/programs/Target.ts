import { Either, Option } from "effect"
import type { ImageRepository } from "../domain/ImageRepository.ts"
import { pushSecretName } from "../domain/PushSecret.ts"
import {
  imageUrl,
  type InvalidRepositoryName,
  repositoryFromUrl,
  resolveRepositoryName
} from "../domain/RepositoryName.ts"
import { robotFullName, robotShortName } from "../domain/RobotName.ts"
import type { Quay } from "../services/Quay.ts"

/** The push robot and Secret of an ImageRepository: they follow from its identity, whatever its repository. */
export interface Credentials {
  readonly robotShortName: string
  readonly robotFullName: string
  readonly secretName: string
}

/** Everything an ImageRepository maps to in Quay and in its namespace. */
export interface Target extends Credentials {
  readonly repository: string
  readonly imageUrl: string
}

type Registry = Pick<Quay, "organization" | "registryHost">

/** Names recorded in status win (objects of the original controller have random robot names); else derived from the uid. */
export const credentials = (ir: ImageRepository, registry: Registry): Credentials => {
  const shortName =
    ir.status?.credentials?.["push-robot-account"] ??
    robotShortName(
      { namespace: ir.metadata.namespace ?? "", name: ir.metadata.name, uid: ir.metadata.uid ?? "" },
      "push",
      registry.organization
    )
  return {
    robotShortName: shortName,
    robotFullName: robotFullName(registry.organization, shortName),
    secretName: ir.status?.credentials?.["push-secret"] ?? pushSecretName(ir)
  }
}

const targetFor = (ir: ImageRepository, registry: Registry, repository: string): Target => ({
  ...credentials(ir, registry),
  repository,
  imageUrl: imageUrl(registry.registryHost, registry.organization, repository)
})

/**
 * The target recorded in status: written before the first Quay call, so a spec edit while provisioning can
 * neither redirect Quay calls nor leave a first repository behind. Status wins over spec.
 */
export const recorded = (ir: ImageRepository, registry: Registry): Option.Option<Target> =>
  Option.fromNullable(
    repositoryFromUrl(ir.status?.image?.url, registry.registryHost, registry.organization, ir.metadata.namespace ?? "")
  ).pipe(Option.map((repository) => targetFor(ir, registry, repository)))

/** The target the spec asks for; an invalid name is refused here, before anything exists in Quay. */
export const requested = (ir: ImageRepository, registry: Registry): Either.Either<Target, InvalidRepositoryName> =>
  Either.map(
    resolveRepositoryName(ir.metadata.namespace ?? "", ir.metadata.name, ir.spec?.image?.name),
    (repository) => targetFor(ir, registry, repository)
  )

/** The recorded target if there is one, else the one the spec asks for. */
export const chosen = (ir: ImageRepository, registry: Registry): Either.Either<Target, InvalidRepositoryName> =>
  Option.match(recorded(ir, registry), { onNone: () => requested(ir, registry), onSome: Either.right })
