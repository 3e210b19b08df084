import { Data, Effect, Redacted, type Scope } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { createSecureServer, Http2ServerRequest, Http2ServerResponse } from "node:http2"
import type { AddressInfo, Server as NetServer } from "node:net"
import type { Duplex } from "node:stream"
import { type ApiExchange, fromHttp1, fromHttp2 } from "./ApiExchange.ts"
import { controlRoute } from "./controlRoutes.ts"
import { writeAnswer } from "./http.ts"
import type { FaultKind } from "./QuayFaults.ts"
import { type Plan, QuayModel, type Scope as TokenScope } from "./QuayModel.ts"
import type { QuayAnswer } from "./QuayWire.ts"
import * as Wire from "./QuayWire.ts"
import { RateLimiter } from "./RateLimiter.ts"
import { proxyRegistry } from "./registryProxy.ts"
import { issuer, makeRegistryTokenIssuer, type RegistryTokenIssuer } from "./RegistryTokens.ts"
import { RequestTimeline } from "./RequestTimeline.ts"
import * as SelfSignedCertificate from "./SelfSignedCertificate.ts"
import { failureMessage } from "../domain/FailureMessage.ts"

/**
 * A real HTTP server that answers like Quay (api/v1 behind its nginx), quirks included, on top of the same
 * `QuayModel` as the in-memory layer. Raw node:http, because Quay's answers need exact control: HTML pages
 * with JSON-looking bodies, 308s, 429/502 pages, requests that never get an answer. Plain HTTP/1.1 by default; with
 * `tls`, HTTPS with ALPN (h2 and http/1.1) as quay.io serves it, nginx's limits keyed per connection over HTTP/2.
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
  /** Requests per second per HTTP/2 connection (nginx keys HTTP/2 by connection); default 10 × `rateLimit`. */
  readonly http2RateLimit?: number
  /** Default 4 × the HTTP/1.x burst (quay.io: 100 against 25). */
  readonly http2RateLimitBurst?: number
  /**
   * Serve HTTPS, as quay.io does, with a self-signed certificate made at start (`certificatePem`): ALPN offers h2
   * and http/1.1 on the one port, so a client speaks HTTP/2 or HTTP/1.1 to the same simulator. Default plain HTTP/1.1.
   */
  readonly tls?: boolean
  /** Keep each API request's arrival time and answer (`timeline`), for a bench's request trace. Default off. */
  readonly recordTimeline?: boolean
}

export interface RunningSimulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** `url` + `/api/v1` */
  readonly apiUrl: string
  /** With `tls`: the certificate a client must trust (PEM). */
  readonly certificatePem: string | undefined
  /** API requests over time, when `recordTimeline` is on (empty otherwise). */
  readonly timeline: RequestTimeline
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
  limiters: { readonly http1: RateLimiter | undefined; readonly http2: RateLimiter | undefined },
  timeline: RequestTimeline,
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

  const apiRoute = async (exchange: ApiExchange, url: URL): Promise<void> => {
    const arrived = performance.now()
    let status = 0
    const answer = (reply: QuayAnswer) => {
      status = reply.status
      exchange.answer(reply)
    }
    try {
      return await answerApi(exchange, url, answer)
    } finally {
      if (options.recordTimeline === true) {
        timeline.record({ at: arrived, method: exchange.method, path: url.pathname, status, httpVersion: exchange.httpVersion, client: exchange.client })
      }
    }
  }

  const answerApi = async (exchange: ApiExchange, url: URL, answer: (reply: QuayAnswer) => void): Promise<void> => {
    const method = exchange.method
    let path: string
    try {
      path = decodeURIComponent(url.pathname)
    } catch {
      return answer(Wire.malformedJson)
    }
    // nginx limits /api/ per client address (HTTP/1.x) or per connection (HTTP/2) before anything reaches Quay.
    const limiter = exchange.httpVersion.startsWith("2") ? limiters.http2 : limiters.http1
    if (limiter !== undefined && path.startsWith("/api/") && !limiter.admit(exchange.client)) {
      model.recordProxyAnswer(method, path, 429)
      exchange.discard()
      return answer(Wire.tooManyRequests)
    }
    const body = await exchange.readBody()
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
      authorization: exchange.authorization,
      contentType: exchange.contentType,
      body,
      host: exchange.host
    })
    // An injected timeout: hold the request open without answering; closing the server ends it. A dropped
    // connection: closed at once, no answer.
    if (response._tag === "NoAnswer") {
      if (response.drop === true) exchange.drop()
      return
    }
    answer(response)
  }

  const failed = (exchange: ApiExchange) => (error: unknown) => {
    const message = error instanceof SyntaxError ? "malformed JSON body" : failureMessage(error, "error")
    exchange.answer(Wire.json(400, { message }))
  }

  const serveHttp1 = (req: IncomingMessage, res: ServerResponse): void => {
    const url = targetOf(req.url)
    if (url === undefined) {
      req.resume()
      return writeAnswer(res, Wire.malformedJson)
    }
    if (url.pathname.startsWith("/_sim/")) {
      controlRoute(model, req, res, url).catch(failed(fromHttp1(req, res)))
    } else if (url.pathname === "/v2" || url.pathname.startsWith("/v2/")) {
      registryRoute(req, res, url).catch(failed(fromHttp1(req, res)))
    } else {
      const exchange = fromHttp1(req, res)
      apiRoute(exchange, url).catch(failed(exchange))
    }
  }

  // Over HTTP/2 the API only: the test hooks and the registry are for HTTP/1.1 clients (fetch, crane).
  const serveHttp2 = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    const exchange = fromHttp2(req, res)
    const url = targetOf(req.url)
    if (url === undefined) {
      exchange.discard()
      return exchange.answer(Wire.malformedJson)
    }
    if (url.pathname.startsWith("/_sim/") || url.pathname === "/v2" || url.pathname.startsWith("/v2/")) {
      exchange.discard()
      return exchange.answer(Wire.json(505, { message: "the simulator serves only its API over HTTP/2" }))
    }
    apiRoute(exchange, url).catch(failed(exchange))
  }

  return (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void => {
    if (req instanceof Http2ServerRequest) {
      if (res instanceof Http2ServerResponse) serveHttp2(req, res)
    } else if (!(res instanceof Http2ServerResponse)) {
      serveHttp1(req, res)
    }
  }
}

/** The request target as a URL; appended, not resolved: a target such as `//x` must stay a path, not become a host. */
const targetOf = (target: string | undefined): URL | undefined => {
  try {
    return new URL(`http://simulator.invalid${(target ?? "/").startsWith("/") ? target ?? "/" : `/${target ?? ""}`}`)
  } catch {
    return undefined
  }
}

/**
 * nginx's limits as Quay's templates set them: per client address over HTTP/1.x (`rateLimit`, `rateLimitBurst`), per
 * connection over HTTP/2 (`http2RateLimit`, `http2RateLimitBurst`; by default ten times the rate and four times the
 * burst, quay.io's 50 r/s burst 100 against 5 r/s burst 25). No limit at all without `rateLimit`.
 */
const rateLimiters = (options: SimulatorOptions) => {
  if (options.rateLimit === undefined) return { http1: undefined, http2: undefined }
  const http1 = new RateLimiter({
    rate: options.rateLimit,
    ...(options.rateLimitBurst === undefined ? {} : { burst: options.rateLimitBurst })
  })
  const http2 = new RateLimiter({
    rate: options.http2RateLimit ?? options.rateLimit * 10,
    burst: options.http2RateLimitBurst ?? http1.burst * 4
  })
  return { http1, http2 }
}

const listen = (server: NetServer, port: number, host: string): Promise<AddressInfo> =>
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
    const limiters = yield* Effect.try({
      try: () => rateLimiters(options),
      catch: (error) => new SimError({ reason: failureMessage(error) })
    })
    const timers = new Set<NodeJS.Timeout>()
    const timeline = new RequestTimeline()
    const registry = { tokens: makeRegistryTokenIssuer(model), upstream: undefined as URL | undefined }
    const handler = makeHandler(model, options, limiters, timeline, timers, registry)
    const certificate = options.tls === true ? SelfSignedCertificate.make() : undefined
    // TLS as quay.io serves it: ALPN picks h2 or http/1.1 on the same port.
    const server = certificate === undefined
      ? createServer(handler)
      : createSecureServer({ key: certificate.privateKeyPem, cert: certificate.certificatePem, allowHTTP1: true }, handler)
    const sockets = new Set<Duplex>()
    server.on(certificate === undefined ? "connection" : "secureConnection", (socket: Duplex) => {
      sockets.add(socket)
      socket.once("close", () => sockets.delete(socket))
    })
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
          for (const socket of sockets) socket.destroy()
        })
    )
    const authority = `${host}:${address.port}`
    const url = `${certificate === undefined ? "http" : "https"}://${authority}`
    return {
      url,
      certificatePem: certificate?.certificatePem,
      timeline,
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
