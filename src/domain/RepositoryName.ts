import { Data, Either } from "effect"

/** Quay's repository name grammar with extended (nested) names, as its API enforces it. */
const segment = /^[a-z0-9][.a-z0-9_-]*$/
export const maxRepositoryNameLength = 255

export class InvalidRepositoryName extends Data.TaggedError("InvalidRepositoryName")<{
  readonly name: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid image repository name '${this.name}': ${this.reason}`
  }
}

const validate = (name: string, requested: string): Either.Either<string, InvalidRepositoryName> => {
  const fail = (reason: string) => Either.left(new InvalidRepositoryName({ name: requested, reason }))
  if (name.length > maxRepositoryNameLength) {
    return fail(`the full name '${name}' is longer than ${maxRepositoryNameLength} characters`)
  }
  if (name !== name.toLowerCase()) return fail("it must be lower case")
  for (const part of name.split("/")) {
    if (part === "") return fail("it has an empty path segment")
    if (part === "." || part === "..") return fail("'.' and '..' segments are not allowed")
    if (!segment.test(part)) {
      return fail(`segment '${part}' must start with a letter or digit and contain only a-z, 0-9, '.', '_' and '-'`)
    }
  }
  return Either.right(name)
}

/**
 * The Quay repository name (inside the organization) for an ImageRepository: always under `<namespace>/`.
 * Without a requested name it is `<namespace>/<defaultName>` (the object's name, or `<application>/<component>`).
 * A requested name without the prefix gets it; an absolute name (leading `/`) must name this namespace,
 * so no object can reach another namespace's repositories.
 */
export const resolveRepositoryName = (
  namespace: string,
  defaultName: string,
  requested: string | undefined
): Either.Either<string, InvalidRepositoryName> => {
  if (requested === undefined || requested === "") return validate(`${namespace}/${defaultName}`, `${namespace}/${defaultName}`)
  if (requested.startsWith("/")) {
    return requested.startsWith(`/${namespace}/`)
      ? validate(requested.slice(1), requested)
      : Either.left(new InvalidRepositoryName({ name: requested, reason: `it must stay within namespace '${namespace}'` }))
  }
  return validate(requested.startsWith(`${namespace}/`) ? requested : `${namespace}/${requested}`, requested)
}

/**
 * The repository of a Component's legacy image flow, `<namespace>/<application>/<component>` exactly as the spec
 * writes it (an application named like its namespace does not merge into it).
 */
export const componentRepositoryName = (
  namespace: string,
  application: string,
  component: string
): Either.Either<string, InvalidRepositoryName> => {
  const name = `${namespace}/${application}/${component}`
  return validate(name, name)
}

/** True when a spec.image.name denotes the given repository (with or without the namespace prefix). */
export const denotes = (namespace: string, requested: string, repository: string): boolean =>
  requested === repository || `${namespace}/${requested}` === repository || requested === `/${repository}`

/** `<host>/<org>/<repository>`: the image URL and the dockerconfigjson auths key. */
export const imageUrl = (registryHost: string, organization: string, repository: string): string =>
  `${registryHost}/${organization}/${repository}`

/**
 * The repository an image URL in status names, if it lies under this organization and namespace and is a name
 * Quay could hold: a `..` segment would pass the prefix test and then climb out of it once an HTTP client
 * normalises the path. Status wins over spec for existing objects, so later spec edits never redirect Quay calls.
 */
export const repositoryFromUrl = (
  url: string | undefined,
  registryHost: string,
  organization: string,
  namespace: string
): string | undefined => {
  const prefix = `${registryHost}/${organization}/`
  if (url === undefined || !url.startsWith(`${prefix}${namespace}/`)) return undefined
  const repository = url.slice(prefix.length)
  return Either.isRight(validate(repository, repository)) ? repository : undefined
}
