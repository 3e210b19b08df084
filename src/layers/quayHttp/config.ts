import { Config, ConfigError, Data, Duration, Either, Option, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { parseDurationText } from "../../domain/DurationText.ts"
import { defaultLimitFor } from "./defaultLimits.ts"

/**
 * How the live Quay layer reaches Quay. The rate limit's default depends on the host (`defaultLimits.ts`): quay.io's
 * nginx allows 5 r/s per client IP with a burst of 25, so against quay.io the client never goes faster; a
 * self-hosted Quay has that limit off by default and is not throttled to it.
 */
export interface QuayHttpConfig {
  /** Base of the REST API, e.g. `https://quay.io/api/v1`. */
  readonly apiUrl: string
  readonly organization: string
  /** OAuth access token of the organization's application (Bearer). Wins over `tokenFile`. */
  readonly token?: Redacted.Redacted<string> | undefined
  /**
   * A file that holds the token (the mounted `quaytoken` Secret's `quaytoken` key): read when a request needs the
   * token, at most every 30 seconds, so a rotated token is used without a restart.
   */
  readonly tokenFile?: string | undefined
  /** PEM bundle trusted in addition to the system roots (self-hosted Quay with a private CA). */
  readonly additionalCaPath?: string | undefined
  /** Limit for one request and its response body; default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Speak HTTP/2 to Quay, every request on one multiplexed connection (quay.io allows 50 requests/s per HTTP/2
   * connection against 5/s per client address over HTTP/1.x). Default off (HTTP/1.1).
   */
  readonly http2?: boolean | undefined
  /** Sustained requests per second; default 5 for quay.io (50 over HTTP/2), 300 for a self-hosted Quay. */
  readonly requestsPerSecond?: number | undefined
  /** Requests allowed back to back before the sustained rate applies; default 20 for quay.io (75 over HTTP/2: nginx's bursts less a margin, `defaultLimits.ts`), 300 self-hosted. */
  readonly burst?: number | undefined
  /** Requests in flight at once; default 16. */
  readonly maxConcurrentRequests?: number | undefined
  /** Largest response body read; anything bigger is treated as not Quay's API. Default 4 MiB. */
  readonly maxResponseBytes?: number | undefined
}

export const defaultApiUrl = "https://quay.io/api/v1"

export const defaults = {
  timeout: Duration.seconds(30),
  // As many as the operator's default workers can have in flight (one request each at a time).
  maxConcurrentRequests: 16,
  // A list of robots has no paging in Quay; ~200 bytes each, so 4 MiB holds ~20k robots.
  maxResponseBytes: 4 * 1024 * 1024
} as const

/** The configuration is unusable (bad URL, unreadable CA bundle, nonsensical limits). Fails the layer at start. */
export class QuayHttpConfigError extends Data.TaggedError("QuayHttpConfigError")<{
  readonly reason: string
}> {
  override get message(): string {
    return `invalid Quay client configuration: ${this.reason}`
  }
}

/** Where the bearer token comes from: a value fixed at start, or a file read again as it changes. */
export type TokenSource =
  | { readonly _tag: "Value"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "File"; readonly path: string }

/** A config with every default applied and checked. */
export interface ResolvedQuayHttpConfig {
  readonly apiUrl: string
  readonly registryHost: string
  readonly organization: string
  readonly token: TokenSource
  readonly additionalCaPath: string | undefined
  readonly timeout: Duration.Duration
  readonly http2: boolean
  readonly requestsPerSecond: number
  readonly burst: number
  readonly maxConcurrentRequests: number
  readonly maxResponseBytes: number
}

const positive = (name: string, value: number, integer: boolean): Either.Either<number, QuayHttpConfigError> =>
  Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value))
    ? Either.right(value)
    : Either.left(new QuayHttpConfigError({ reason: `${name} must be a positive ${integer ? "integer" : "number"}, got ${value}` }))

export const resolve = (config: QuayHttpConfig): Either.Either<ResolvedQuayHttpConfig, QuayHttpConfigError> =>
  Either.gen(function*() {
    const apiUrl = config.apiUrl.trim().replace(/\/+$/, "")
    const url = yield* Either.try({
      try: () => new URL(apiUrl),
      catch: () => new QuayHttpConfigError({ reason: `apiUrl '${apiUrl}' is not a URL` })
    })
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return yield* Either.left(new QuayHttpConfigError({ reason: `apiUrl must be http(s), got '${url.protocol}'` }))
    }
    const organization = config.organization.trim()
    if (organization === "") return yield* Either.left(new QuayHttpConfigError({ reason: "organization is empty" }))
    const timeout = Duration.decode(config.timeout ?? defaults.timeout)
    if (!Duration.greaterThan(timeout, Duration.zero)) {
      return yield* Either.left(new QuayHttpConfigError({ reason: "timeout must be positive" }))
    }
    const tokenFile = config.tokenFile?.trim() ?? ""
    const token: TokenSource | undefined = config.token !== undefined
      ? { _tag: "Value", token: config.token }
      : tokenFile !== ""
      ? { _tag: "File", path: tokenFile }
      : undefined
    if (token === undefined) return yield* Either.left(new QuayHttpConfigError({ reason: "neither token nor tokenFile is set" }))
    const http2 = config.http2 ?? false
    const limit = defaultLimitFor(url, http2)
    return {
      apiUrl,
      registryHost: url.host,
      organization,
      token,
      additionalCaPath: config.additionalCaPath === undefined || config.additionalCaPath.trim() === ""
        ? undefined
        : config.additionalCaPath.trim(),
      timeout,
      http2,
      requestsPerSecond: yield* positive("requestsPerSecond", config.requestsPerSecond ?? limit.requestsPerSecond, false),
      burst: yield* positive("burst", config.burst ?? limit.burst, true),
      maxConcurrentRequests: yield* positive(
        "maxConcurrentRequests",
        config.maxConcurrentRequests ?? defaults.maxConcurrentRequests,
        true
      ),
      maxResponseBytes: yield* positive("maxResponseBytes", config.maxResponseBytes ?? defaults.maxResponseBytes, true)
    }
  })

/** An optional variable; set-but-empty counts as unset, values are trimmed (as the original controller does). */
const optional = <A>(name: string, parse: (text: string) => Either.Either<A, string>): Config.Config<A | undefined> =>
  Config.option(Config.string(name)).pipe(
    Config.mapOrFail((value) => {
      const text = Option.getOrElse(value, () => "").trim()
      if (text === "") return Either.right(undefined)
      return Either.mapLeft(parse(text), (message) => ConfigError.InvalidData([name], message))
    })
  )

const parseSwitch = (text: string): Either.Either<boolean, string> => {
  const value = text.toLowerCase()
  return value === "on" || value === "true" ? Either.right(true)
    : value === "off" || value === "false" ? Either.right(false)
    : Either.left(`expected on or off, got '${text}'`)
}

const parseNumber = (text: string): Either.Either<number, string> =>
  /^\d+(\.\d+)?$/.test(text) ? Either.right(Number(text)) : Either.left(`expected a number, got '${text}'`)

/** The keys of the spec's `quaytoken` Secret, mounted as files (as the original controller reads them). */
export const secretKeys = { apiUrl: "quayapiurl", organization: "organization", token: "quaytoken" } as const

export const defaultSecretMountPoint = "/workspace"

/** The trimmed content of a mounted Secret key, or `undefined` when its file is absent or unreadable. */
const readSecretFile = (path: string): string | undefined => {
  try {
    return Fs.readFileSync(path, "utf8").trim()
  } catch {
    return undefined
  }
}

const describeFile = (path: string, key: string) => `${path} (key '${key}' of the quaytoken Secret)`

/**
 * The Quay settings as the original controller takes them: each of QUAY_API_URL, QUAY_ORG and QUAY_TOKEN wins when
 * set, else the matching key of the `quaytoken` Secret mounted under QUAY_SECRET_MOUNT_POINT (default `/workspace`):
 * `quayapiurl` (optional, default quay.io), `organization`, `quaytoken`. The token file is only named here and read
 * when requests need it, so a rotated Secret reaches the operator without a restart. Also QUAY_ADDITIONAL_CA (PEM
 * path), QUAY_TIMEOUT, QUAY_HTTP2 (on|off, default off), QUAY_RATE_LIMIT (requests/s), QUAY_BURST and
 * QUAY_MAX_CONCURRENCY.
 */
export const configFromEnvironment: Config.Config<QuayHttpConfig> = Config.all({
  mountPoint: optional("QUAY_SECRET_MOUNT_POINT", Either.right),
  apiUrl: optional("QUAY_API_URL", Either.right),
  organization: optional("QUAY_ORG", Either.right),
  token: Config.option(Config.redacted("QUAY_TOKEN")).pipe(
    Config.map((token) => {
      const text = Option.match(token, { onNone: () => "", onSome: (value) => Redacted.value(value).trim() })
      return text === "" ? undefined : Redacted.make(text)
    })
  ),
  additionalCaPath: optional("QUAY_ADDITIONAL_CA", Either.right),
  timeout: optional("QUAY_TIMEOUT", parseDurationText),
  http2: optional("QUAY_HTTP2", parseSwitch),
  requestsPerSecond: optional("QUAY_RATE_LIMIT", parseNumber),
  burst: optional("QUAY_BURST", parseNumber),
  maxConcurrentRequests: optional("QUAY_MAX_CONCURRENCY", parseNumber)
}).pipe(
  Config.mapOrFail(({ mountPoint, ...settings }) => {
    const file = (key: string) => Path.join(mountPoint ?? defaultSecretMountPoint, key)
    const organization = settings.organization ?? readSecretFile(file(secretKeys.organization))
    if (organization === undefined || organization === "") {
      return Either.left(ConfigError.MissingData(
        ["QUAY_ORG"],
        `QUAY_ORG is not set and ${describeFile(file(secretKeys.organization), secretKeys.organization)} is missing or empty`
      ))
    }
    const tokenFile = file(secretKeys.token)
    if (settings.token === undefined && !Fs.existsSync(tokenFile)) {
      return Either.left(ConfigError.MissingData(
        ["QUAY_TOKEN"],
        `QUAY_TOKEN is not set and ${describeFile(tokenFile, secretKeys.token)} does not exist`
      ))
    }
    const apiUrl = settings.apiUrl ?? readSecretFile(file(secretKeys.apiUrl))
    return Either.right({
      ...settings,
      apiUrl: apiUrl === undefined || apiUrl === "" ? defaultApiUrl : apiUrl,
      organization,
      ...(settings.token === undefined ? { tokenFile } : {})
    })
  })
)
