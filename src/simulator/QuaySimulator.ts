import { Data, Effect, Redacted, type Scope } from "effect"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { controlRoute } from "./controlRoutes.ts"
import { readBody, simJson, writeAnswer } from "./http.ts"
import type { FaultKind } from "./QuayFaults.ts"
import { type Plan, QuayModel, type Scope as TokenScope } from "./QuayModel.ts"
import * as Wire from "./QuayWire.ts"
import { RateLimiter } from "./RateLimiter.ts"
import { proxyRegistry } from "./registryProxy.ts"
import { issuer, makeRegistryTokenIssuer, type RegistryTokenIssuer } from "./RegistryTokens.ts"
import { failureMessage } from "../domain/FailureMessage.ts"

/**
 * A real HTTP server that answers like Quay (api/v1 behind its nginx), quirks included, on top of the same
 * `QuayModel` as the in-memory layer. Raw node:http, because Quay's answers need exact control: HTML pages
 * with JSON-looking bodies, 308s, 429/502 pages, requests that never get an answer.
 *
 * Like Quay it also serves the registry token endpoint `/v2/auth`, and forwards the rest of `/v2/` to a real registry
 * once one is attached (`attachRegistry`). Besides, test hooks under `/_sim/` (see `controlRoutes.ts`).
 */

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly host?: string
  readonly organization: string
  /** The operator's admin OAuth bearer token (the scopes of a typical operator token). */
  readonly token: string | Redacted.Redacted<string>
  /** More OAuth tokens of the same user, each with its own scopes (e.g. too few, as a misconfigured install has). */
  readonly tokens?: ReadonlyArray<{ readonly token: string | Redacted.Redacted<string>; readonly scopes: ReadonlyArray<TokenScope> }>
  /** Default `paid`. */
  readonly plan?: Plan
  /** Added before every API answer. */
  readonly latencyMs?: number
  /** Fraction (0..1) of API requests that fail with `faultKind` (default `5xx`). */
  readonly faultRate?: number
  readonly faultKind?: FaultKind
  /** Requests per second per client IP; beyond it (and its burst) nginx's 429 page. */
  readonly rateLimit?: number
  /** Default five seconds' worth of `rateLimit`, like Quay's nginx (5 r/s, burst 25). */
  readonly rateLimitBurst?: number
}

export interface RunningSimulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** `url` + `/api/v1` */
  readonly apiUrl: string
  readonly port: number
  /** `127.0.0.1:<port>`: the registry host an operator derives from `apiUrl`. */
  readonly registryHost: string
  readonly organization: string
  /** The live model behind the server, for in-process tests (faults, out-of-band changes, snapshots). */
  readonly model: QuayModel
  /** What a registry needs to trust this simulator's `/v2/auth` tokens. */
  readonly registryAuth: {
    /** `url` + `/v2/auth` */
    readonly realm: string
    /** The audience the tokens name: the registry host. */
    readonly service: string
    readonly issuer: string
    /** The JSON Web Key Set with the public signing key. */
    readonly jwks: string
  }
  /** Forwards `/v2/` (but `/v2/auth`) to this registry from now on. */
  readonly attachRegistry: (url: string) => void
}

export class SimError extends Data.TaggedError("SimError")<{ readonly reason: string }> {
  override get message(): string {
    return `Quay simulator: ${this.reason}`
  }
}

/** Builds the request handler; `track` registers what must be cancelled when the server closes. */
const makeHandler = (
  model: QuayModel,
  options: SimulatorOptions,
  limiter: RateLimiter | undefined,
  timers: Set<NodeJS.Timeout>,
  registry: { readonly tokens: RegistryTokenIssuer; upstream: URL | undefined }
) => {
  const latencyMs = Math.max(0, options.latencyMs ?? 0)

  const registryRoute = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (url.pathname !== "/v2/auth") return proxyRegistry(registry.upstream, req, res)
    req.resume()
    writeAnswer(
      res,
      registry.tokens.answer({
        authorization: req.headers.authorization,
        query: url.searchParams,
        registryHost: req.headers.host ?? ""
      })
    )
  }

  const apiRoute = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? "GET"
    let path: string
    try {
      path = decodeURIComponent(url.pathname)
    } catch {
      return writeAnswer(res, Wire.malformedJson)
    }
    // nginx limits /api/ per client address before anything reaches Quay.
    if (limiter !== undefined && path.startsWith("/api/") && !limiter.admit(req.socket.remoteAddress ?? "unknown")) {
      model.recordProxyAnswer(method, path, 429)
      req.resume()
      return writeAnswer(res, Wire.tooManyRequests)
    }
    const body = await readBody(req)
    if (latencyMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer)
          resolve()
        }, latencyMs)
        timers.add(timer)
      })
    }
    const response = model.handle({
      method,
      path,
      query: url.searchParams,
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      body,
      host: req.headers.host
    })
    // An injected timeout: hold the request open without answering; closing the server ends it. A dropped
    // connection: closed at once, no answer.
    if (response._tag === "NoAnswer") {
      if (response.drop === true) req.socket.destroy()
      return
    }
    writeAnswer(res, response)
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL
    try {
      // Appended, not resolved: a request target such as `//x` must stay a path, not become a host.
      url = new URL(`http://simulator.invalid${(req.url ?? "/").startsWith("/") ? req.url ?? "/" : `/${req.url ?? ""}`}`)
    } catch {
      req.resume()
      return writeAnswer(res, Wire.malformedJson)
    }
    const route = url.pathname.startsWith("/_sim/")
      ? (req: IncomingMessage, res: ServerResponse, url: URL) => controlRoute(model, req, res, url)
      : url.pathname === "/v2" || url.pathname.startsWith("/v2/")
      ? registryRoute
      : apiRoute
    route(req, res, url).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return
      const message = error instanceof SyntaxError ? "malformed JSON body" : failureMessage(error, "error")
      simJson(res, 400, { message })
    })
  }
}

const listen = (server: Server, port: number, host: string): Promise<AddressInfo> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      const address = server.address()
      if (address === null || typeof address === "string") reject(new Error("server has no TCP address"))
      else resolve(address)
    })
  })

/** Starts the simulator; it stops (open and hanging connections included) when the scope closes. */
export const start = (options: SimulatorOptions): Effect.Effect<RunningSimulator, SimError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const token = Redacted.isRedacted(options.token) ? Redacted.value(options.token) : options.token
    if (token === "") return yield* Effect.fail(new SimError({ reason: "the admin token must not be empty" }))
    const model = yield* Effect.try({
      try: () => {
        const m = new QuayModel({ organization: options.organization, token, plan: options.plan ?? "paid" })
        for (const extra of options.tokens ?? []) {
          m.addToken(Redacted.isRedacted(extra.token) ? Redacted.value(extra.token) : extra.token, extra.scopes)
        }
        if (options.faultRate !== undefined && options.faultRate > 0) {
          m.injectFaults({ kind: options.faultKind ?? "5xx", rate: options.faultRate })
        }
        return m
      },
      catch: (error) => new SimError({ reason: failureMessage(error) })
    })
    const limiter = yield* Effect.try({
      try: () =>
        options.rateLimit === undefined
          ? undefined
          : new RateLimiter({
            rate: options.rateLimit,
            ...(options.rateLimitBurst === undefined ? {} : { burst: options.rateLimitBurst })
          }),
      catch: (error) => new SimError({ reason: failureMessage(error) })
    })
    const timers = new Set<NodeJS.Timeout>()
    const registry = { tokens: makeRegistryTokenIssuer(model), upstream: undefined as URL | undefined }
    const server = createServer(makeHandler(model, options, limiter, timers, registry))
    const address = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => listen(server, options.port ?? 0, host),
        catch: (error) =>
          new SimError({ reason: `cannot listen on ${host}:${options.port ?? 0}: ${failureMessage(error)}` })
      }),
      () =>
        Effect.async<void>((resume) => {
          for (const timer of timers) clearTimeout(timer)
          timers.clear()
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    const authority = `${host}:${address.port}`
    const url = `http://${authority}`
    return {
      url,
      apiUrl: `${url}/api/v1`,
      port: address.port,
      registryHost: authority,
      organization: options.organization,
      model,
      registryAuth: { realm: `${url}/v2/auth`, service: authority, issuer, jwks: registry.tokens.jwks },
      attachRegistry: (upstream) => {
        registry.upstream = new URL(upstream)
      }
    }
  })
