/**
 * One look at everything the soak checks: the namespace's ImageRepositories, Components, Secrets and
 * ServiceAccounts from the real apiserver (as the admin), and Quay's state from the simulator's `GET /_sim/state`.
 */
import { kubectl } from "../test/cluster/e2e/kubectl.ts"
import type { ImageRepositoryJson } from "../test/cluster/e2e/Rig.ts"

interface Meta {
  readonly name: string
  readonly uid: string
  readonly generation?: number
  readonly deletionTimestamp?: string
  readonly labels?: Record<string, string>
  readonly annotations?: Record<string, string>
  readonly ownerReferences?: ReadonlyArray<{ readonly uid: string; readonly kind: string }>
}

export type ImageRepositoryObject = ImageRepositoryJson & { readonly metadata: Meta }

export interface ComponentObject {
  readonly metadata: Meta
}

export interface SecretObject {
  readonly metadata: Meta
  readonly type: string
  readonly data?: Record<string, string>
}

export interface ServiceAccountObject {
  readonly metadata: Meta
  readonly secrets?: ReadonlyArray<{ readonly name: string }>
  readonly imagePullSecrets?: ReadonlyArray<{ readonly name: string }>
}

/** `GET /_sim/state`, the parts the soak reads. */
export interface QuayState {
  readonly repositories: ReadonlyArray<{
    readonly namespace: string
    readonly name: string
    readonly visibility: string
    readonly description: string | null
    readonly permissions: Readonly<Record<string, string>>
  }>
  readonly robots: ReadonlyArray<{ readonly name: string; readonly shortName: string; readonly description: string }>
  readonly requests: { readonly total: number }
  readonly faultsInjected: Readonly<Record<string, number>>
}

export interface Observation {
  readonly imageRepositories: ReadonlyArray<ImageRepositoryObject>
  readonly components: ReadonlyArray<ComponentObject>
  readonly secrets: ReadonlyArray<SecretObject>
  readonly serviceAccounts: ReadonlyArray<ServiceAccountObject>
  readonly quay: QuayState
}

const items = async <A>(kind: string, namespace: string): Promise<ReadonlyArray<A>> =>
  (JSON.parse(await kubectl(["get", kind, "-n", namespace, "-o", "json"])) as { items: ReadonlyArray<A> }).items

export const simState = async (simUrl: string): Promise<QuayState> =>
  (await (await fetch(`${simUrl}/_sim/state`)).json()) as QuayState

export const observe = async (namespace: string, simUrl: string): Promise<Observation> => {
  const [imageRepositories, components, secrets, serviceAccounts, quay] = await Promise.all([
    items<ImageRepositoryObject>("imagerepositories", namespace),
    items<ComponentObject>("components", namespace),
    items<SecretObject>("secrets", namespace),
    items<ServiceAccountObject>("serviceaccounts", namespace),
    simState(simUrl)
  ])
  return { imageRepositories, components, secrets, serviceAccounts, quay }
}

/** The `user:token` pairs a dockerconfigjson Secret holds, by the registry path they are for. */
export const dockerCredentials = (secret: SecretObject): ReadonlyArray<{ path: string; username: string; token: string }> => {
  try {
    const document = JSON.parse(Buffer.from(secret.data?.[".dockerconfigjson"] ?? "", "base64").toString()) as {
      auths?: Record<string, { auth?: string }>
    }
    return Object.entries(document.auths ?? {}).map(([path, entry]) => {
      const auth = Buffer.from(entry.auth ?? "", "base64").toString()
      const colon = auth.indexOf(":")
      return { path, username: auth.slice(0, Math.max(0, colon)), token: auth.slice(colon + 1) }
    })
  } catch {
    return []
  }
}

/** Asks the simulator's grant (the one `/v2/auth` uses) whether the credentials may push or pull the repository. */
export const simAuthorizes = async (simUrl: string, robot: string, token: string, repo: string, access: "push" | "pull") => {
  const query = new URLSearchParams({ robot, token, repo, access })
  const answer = (await (await fetch(`${simUrl}/_sim/auth?${query.toString()}`)).json()) as { allowed?: boolean }
  return answer.allowed === true
}
