import { generateKeyPairSync, randomBytes, sign } from "node:crypto"
import type { QuayModel, RegistryAction } from "./QuayModel.ts"
import { subjectOf } from "./QuayModel.ts"
import * as Wire from "./QuayWire.ts"
import type { QuayAnswer } from "./QuayWire.ts"

/**
 * Quay's registry token endpoint, `GET /v2/auth?service=…&scope=repository:<ns>/<name>:<actions>` (Docker's token
 * auth): HTTP Basic credentials in, a signed JWT out whose `access` claim lists the granted actions, as
 * `endpoints/v2/v2auth.py` and `util/security/registry_jwt.py` do. A real registry configured with this issuer,
 * the service and the key set (`jwks`) accepts the tokens. The key is made fresh for each simulator.
 */

/** Quay's `TOKEN_VALIDITY_LIFETIME_S`. */
const lifetimeSeconds = 60 * 60

export const issuer = "quay"

/** `repository:[<host>/]<ns>/<name>:<actions>`, as Quay's SCOPE_REGEX_TEMPLATE (the host part is optional). */
const scopePattern = /^repository:((?:[.a-zA-Z0-9_-]+\/)+[.a-zA-Z0-9_-]+):((?:push|pull|\*)(?:,(?:push|pull|\*))*)$/

export interface RegistryTokenIssuer {
  /** The JSON Web Key Set a registry trusts (the public key only). */
  readonly jwks: string
  /** Answers one `/v2/auth` request. */
  readonly answer: (input: {
    readonly authorization: string | undefined
    readonly query: URLSearchParams
    readonly registryHost: string
  }) => QuayAnswer
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url")

/** The Docker registry v2 error body, with Quay's codes. */
const registryError = (status: number, code: string, message: string): QuayAnswer =>
  Wire.json(status, { errors: [{ code, detail: {}, message }] })

const basicCredentials = (authorization: string | undefined): { username: string; password: string } | undefined => {
  const match = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? "")
  if (match === null) return undefined
  const plain = Buffer.from(match[1] ?? "", "base64").toString("utf8")
  const colon = plain.indexOf(":")
  return colon < 0 ? undefined : { username: plain.slice(0, colon), password: plain.slice(colon + 1) }
}

export const makeRegistryTokenIssuer = (model: QuayModel, now: () => number = Date.now): RegistryTokenIssuer => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  const kid = randomBytes(12).toString("hex")
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" }] })

  const signToken = (claims: Record<string, unknown>): string => {
    const unsigned = `${base64url({ typ: "JWT", alg: "ES256", kid })}.${base64url(claims)}`
    const signature = sign("sha256", Buffer.from(unsigned), { key: privateKey, dsaEncoding: "ieee-p1363" })
    return `${unsigned}.${signature.toString("base64url")}`
  }

  return {
    jwks,
    answer: ({ authorization, query, registryHost }) => {
      const credentials = basicCredentials(authorization)
      if (authorization !== undefined && authorization !== "" && credentials === undefined) {
        return registryError(401, "UNAUTHORIZED", "Invalid username or password")
      }
      const login = model.registryLogin(credentials?.username ?? "", credentials?.password ?? "")
      if (login._tag === "Invalid") return registryError(401, "UNAUTHORIZED", "Invalid username or password")
      const scopes = query.getAll("scope").filter((scope) => scope !== "")
      if (login._tag === "Anonymous" && scopes.length === 0) return registryError(401, "UNAUTHORIZED", "access to the requested resource is not authorized")
      const access: Array<{ type: "repository"; name: string; actions: ReadonlyArray<RegistryAction> }> = []
      for (const scope of scopes) {
        const match = scopePattern.exec(scope)
        if (match === null) return registryError(400, "INVALID_REQUEST", `Unable to decode repository and actions: ${scope}`)
        const named = match[1] ?? ""
        // A leading `<host>/` (the registry's own name) is allowed and kept in the claim, as Quay keeps it.
        const repository = named.startsWith(`${registryHost}/`) ? named.slice(registryHost.length + 1) : named
        const requested = (match[2] ?? "").split(",") as ReadonlyArray<RegistryAction>
        access.push({ type: "repository", name: named, actions: model.grantedActions(login, repository, requested) })
      }
      const issuedAt = Math.floor(now() / 1000)
      const token = signToken({
        iss: issuer,
        aud: query.get("service") ?? registryHost,
        nbf: issuedAt,
        iat: issuedAt,
        exp: issuedAt + lifetimeSeconds,
        sub: subjectOf(login),
        access
      })
      return Wire.json(200, { token }, { "cache-control": "no-cache, no-store, must-revalidate" })
    }
  }
}
