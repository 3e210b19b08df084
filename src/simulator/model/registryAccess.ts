import { timingSafeEqual } from "node:crypto"
import { repoRole } from "./authorization.ts"
import { atLeast, type QuayState, type Role } from "./state.ts"

/**
 * What registry credentials may do with a repository: the grant logic of Quay's `/v2/auth` (`endpoints/v2/v2auth.py`),
 * shared by the registry token endpoint and the simulator's `/_sim/auth` check. Robots log in with their token,
 * users with `$oauthtoken` and an OAuth token; no credentials at all is an anonymous login; anything else is an
 * invalid login, refused outright (even for a public repository). Read grants pull, write grants push and pull,
 * admin also `*`; anyone may pull a public repository. Pushing to an absent repository would create it only for
 * someone allowed to create repositories, which robots are not, so nothing is granted there.
 */
export type RegistryAction = "push" | "pull" | "*"

export type RegistryLogin =
  | { readonly _tag: "Anonymous" }
  | { readonly _tag: "Robot"; readonly name: string }
  | { readonly _tag: "User"; readonly name: string; readonly token: string }
  | { readonly _tag: "Invalid" }

const sameSecret = (a: string, b: string): boolean => {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

export const registryLogin = (state: QuayState, username: string, password: string): RegistryLogin => {
  if (username === "" && password === "") return { _tag: "Anonymous" }
  if (username === "$oauthtoken") {
    const caller = state.tokens.get(password)
    return caller === undefined ? { _tag: "Invalid" } : { _tag: "User", name: caller.user, token: password }
  }
  const robot = state.robots.get(username)
  return robot !== undefined && sameSecret(robot.token, password) ? { _tag: "Robot", name: username } : { _tag: "Invalid" }
}

/** The subject Quay writes into the token: the robot's or user's name, `(anonymous)` without a login. */
export const subjectOf = (login: RegistryLogin): string =>
  login._tag === "Robot" || login._tag === "User" ? login.name : "(anonymous)"

const roleOf = (state: QuayState, login: RegistryLogin, namespace: string, name: string): Role | undefined => {
  switch (login._tag) {
    case "Robot":
      return state.repositories.get(`${namespace}/${name}`)?.grants.get(login.name)
    case "User":
      return repoRole(state, state.tokens.get(login.token), namespace, name)
    case "Anonymous":
    case "Invalid":
      return undefined
  }
}

/** The actions granted on `<namespace>/<name>` out of those requested, in Quay's order (push, pull, *). */
export const grantedActions = (
  state: QuayState,
  login: RegistryLogin,
  repository: string,
  requested: ReadonlyArray<RegistryAction>
): ReadonlyArray<RegistryAction> => {
  const slash = repository.indexOf("/")
  if (slash <= 0 || login._tag === "Invalid") return []
  const namespace = repository.slice(0, slash)
  const name = repository.slice(slash + 1)
  const repo = state.repositories.get(repository)
  const role = roleOf(state, login, namespace, name)
  const granted: Array<RegistryAction> = []
  if (requested.includes("push") && repo !== undefined && atLeast(role, "write")) granted.push("push")
  if (requested.includes("pull") && (atLeast(role, "read") || repo?.visibility === "public")) granted.push("pull")
  if (requested.includes("*") && repo !== undefined && atLeast(role, "admin")) granted.push("*")
  return granted
}
