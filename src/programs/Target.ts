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

/** Everything an ImageRepository maps to in Quay and in its namespace. */
export interface Target {
  readonly repository: string
  readonly imageUrl: string
  readonly robotShortName: string
  readonly robotFullName: string
  readonly secretName: string
}

type Registry = Pick<Quay, "organization" | "registryHost">

const targetFor = (ir: ImageRepository, registry: Registry, repository: string): Target => {
  const shortName =
    ir.status?.credentials?.["push-robot-account"] ??
    robotShortName(
      { namespace: ir.metadata.namespace ?? "", name: ir.metadata.name, uid: ir.metadata.uid ?? "" },
      "push",
      registry.organization
    )
  return {
    repository,
    imageUrl: imageUrl(registry.registryHost, registry.organization, repository),
    robotShortName: shortName,
    robotFullName: robotFullName(registry.organization, shortName),
    secretName: ir.status?.credentials?.["push-secret"] ?? pushSecretName(ir)
  }
}

/** The target recorded in status, once provisioned. Status wins over spec: later spec edits never redirect Quay calls. */
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
