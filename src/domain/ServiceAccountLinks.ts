import * as MergePatch from "./MergePatch.ts"
import { type Component, componentOf } from "./ComponentRepository.ts"
import type { ImageRepository } from "./ImageRepository.ts"
import { secretName } from "./SecretName.ts"
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

/** The pipeline ServiceAccount of the spec's era: one per namespace, shared by every Component's build. */
export const defaultPipelineServiceAccount = "appstudio-pipeline"
/** Current Konflux's choice: one build pipeline ServiceAccount per Component. */
export const perComponentPipelineServiceAccount = "build-pipeline-{component}"

const placeholder = /\{([^{}]*)\}/g
const placeholders: Readonly<Record<string, (component: Component) => string>> = {
  component: (component) => component.name,
  application: (component) => component.application
}
/** A DNS-1123 subdomain: the names a ServiceAccount may have. */
const serviceAccountName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/**
 * The pipeline ServiceAccount a name template gives a Component (`{component}` and `{application}` are replaced),
 * if the result is a name a ServiceAccount can have: anything else is never looked up.
 */
export const pipelineAccount = (template: string, component: Component): string | undefined => {
  const name = template.replace(placeholder, (whole, key: string) => placeholders[key]?.(component) ?? whole)
  return name.length <= 253 && serviceAccountName.test(name) ? name : undefined
}

/** What is wrong with a name template, if anything: an unknown placeholder, or no valid name for a plain Component. */
export const templateProblem = (template: string): string | undefined => {
  const unknown = [...template.matchAll(placeholder)].map((m) => m[1] ?? "").filter((key) => !(key in placeholders))
  if (unknown.length > 0) return `unknown placeholder {${unknown[0]}}: only {component} and {application} are replaced`
  return pipelineAccount(template, { name: "component", application: "application" }) === undefined
    ? `'${template}' does not make a ServiceAccount name (lower case letters, digits, '-' and '.')`
    : undefined
}

/**
 * The ServiceAccounts whose `secrets` should list an ImageRepository's push Secret: a component repository's
 * pipeline account (named by the template), none for a general-purpose one. Which it is was decided at provisioning.
 */
export const pushSecretTargets = (ir: ImageRepository, template: string): ReadonlyArray<string> => {
  const component = componentOf(ir)
  const account = component === undefined ? undefined : pipelineAccount(template, component)
  return account === undefined ? [] : [account]
}

/** Whether the account should list the object's push Secret in `secrets` and does not yet: what a link waits for. */
export const awaitsLink = (ir: ImageRepository, sa: ServiceAccount, template: string): boolean =>
  pushSecretTargets(ir, template).includes(sa.metadata.name) &&
  count(sa.secrets ?? [], secretName(ir, "push")) === 0

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
  const secrets = !secretExists
    ? links.secrets.filter((r) => r.name !== secret)
    : count(links.secrets, secret) === 0
      ? [...links.secrets, { name: secret }]
      : once(links.secrets, secret)
  return { secrets, imagePullSecrets: links.imagePullSecrets.filter((r) => r.name !== secret) }
}

/** The list with only the first reference to the Secret kept. */
const once = (refs: Refs, secret: string): Refs => {
  const first = refs.findIndex((r) => r.name === secret)
  return refs.filter((r, i) => r.name !== secret || i === first)
}

/**
 * verify-linking for a Secret no account here is meant to list (a component repository's pull Secret, which the
 * spec sends to the Application's environments): never added anywhere, each reference kept once, and every
 * reference removed when the Secret does not exist. A pull-only credential may stay in `imagePullSecrets`.
 */
export const verifyReferences = (sa: ServiceAccount, secret: string, secretExists: boolean): Links => {
  const links = linksOf(sa)
  return secretExists
    ? { secrets: once(links.secrets, secret), imagePullSecrets: once(links.imagePullSecrets, secret) }
    : unlink(sa, secret)
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
