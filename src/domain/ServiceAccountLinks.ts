import * as MergePatch from "./MergePatch.ts"
import { componentOf, type ImageRepository } from "./ImageRepository.ts"
import type { ServiceAccount } from "./ServiceAccount.ts"

type Refs = ReadonlyArray<{ readonly name: string }>

export interface Links {
  readonly secrets: Refs
  readonly imagePullSecrets: Refs
}

const linksOf = (sa: ServiceAccount): Links => ({
  secrets: sa.secrets ?? [],
  imagePullSecrets: sa.imagePullSecrets ?? []
})

const count = (refs: Refs, name: string): number => refs.filter((r) => r.name === name).length

/** The ServiceAccounts whose `secrets` should list an ImageRepository's push Secret: a Component's build pipeline account. */
export const pushSecretTargets = (ir: ImageRepository): ReadonlyArray<string> => {
  const component = componentOf(ir)
  return component === undefined || component === "" ? [] : [`build-pipeline-${component}`]
}

/** Adds the Secret to `secrets` once; leaves everything else as it is. */
export const link = (sa: ServiceAccount, secret: string): Links => {
  const links = linksOf(sa)
  return count(links.secrets, secret) > 0 ? links : { ...links, secrets: [...links.secrets, { name: secret }] }
}

/**
 * verify-linking: the Secret is listed in `secrets` exactly once when it exists and not at all when it does not
 * (it can be re-created with regenerate-token), and never in `imagePullSecrets` (a push credential must not be
 * handed to every pod).
 */
export const verify = (sa: ServiceAccount, secret: string, secretExists: boolean): Links => {
  const links = linksOf(sa)
  const others = links.secrets.filter((r) => r.name !== secret)
  const firstIndex = links.secrets.findIndex((r) => r.name === secret)
  const secrets = !secretExists
    ? others
    : firstIndex === -1
      ? [...links.secrets, { name: secret }]
      : links.secrets.filter((r, i) => r.name !== secret || i === firstIndex)
  return { secrets, imagePullSecrets: links.imagePullSecrets.filter((r) => r.name !== secret) }
}

/** Removes every reference to the Secret. */
export const unlink = (sa: ServiceAccount, secret: string): Links => {
  const links = linksOf(sa)
  return {
    secrets: links.secrets.filter((r) => r.name !== secret),
    imagePullSecrets: links.imagePullSecrets.filter((r) => r.name !== secret)
  }
}

export const changed = (sa: ServiceAccount, links: Links): boolean => {
  const current = linksOf(sa)
  return !MergePatch.equal(current.secrets, links.secrets) || !MergePatch.equal(current.imagePullSecrets, links.imagePullSecrets)
}
