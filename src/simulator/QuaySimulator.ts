import { Data, Effect, Redacted, type Scope } from "effect"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { type FaultKind, isFaultKind } from "./QuayFaults.ts"
import { type Plan, QuayModel } from "./QuayModel.ts"
import type { QuayAnswer } from "./QuayWire.ts"
import * as Wire from "./QuayWire.ts"
import { RateLimiter } from "./RateLimiter.ts"

/**
 * A real HTTP server that answers like Quay (api/v1 behind its nginx), quirks included, on top of the same
 * `QuayModel` as the in-memory layer. Raw node:http, because Quay's answers need exact control: HTML pages
 * with JSON-looking bodies, 308s, 429/502 pages, requests that never get an answer.
 *
 * Besides Quay's API it serves test hooks under `/_sim/`: `GET /_sim/state`, `GET /_sim/auth`,
 * `POST|DELETE /_sim/faults`, `POST /_sim/plan`, `DELETE /_sim/requests`.
 */

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly host?: string
  readonly organization: string
  /** The operator's admin OAuth bearer token. */
  readonly token: string | Redacted.Redacted<string>
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
}

export class SimError extends Data.TaggedError("SimError")<{ readonly reason: string }> {
  override get message(): string {
    return `Quay simulator: ${this.reason}`
  }
}

/** Bodies above this are refused (Quay refuses robot bodies over 1 MiB; nothing legitimate comes close). */
const maxBodyBytes = 2 * 1024 * 1024

const writeAnswer = (res: ServerResponse, answer: QuayAnswer): void => {
  if (res.destroyed || res.headersSent) return
  const body = Buffer.from(answer.body, "utf8")
  res.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) })
  res.end(body)
}

const simJson = (res: ServerResponse, status: number, value: unknown): void => writeAnswer(res, Wire.json(status, value))

const readBody = (req: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        reject(new Error("body too large"))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(size === 0 ? undefined : Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const readJson = async (req: IncomingMessage): Promise<unknown> => {
  const text = await readBody(req)
  return text === undefined || text.trim() === "" ? {} : JSON.parse(text)
}

const numberField = (body: unknown, key: string): number | undefined => {
  if (typeof body !== "object" || body === null || !(key in body)) return undefined
  const value = (body as Record<string, unknown>)[key]
  return typeof value === "number" ? value : Number.NaN
}

const stringField = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null && key in body ? (body as Record<string, unknown>)[key] : undefined

/** Builds the request handler; `track` registers what must be cancelled when the server closes. */
const makeHandler = (
  model: QuayModel,
  options: SimulatorOptions,
  limiter: RateLimiter | undefined,
  timers: Set<NodeJS.Timeout>
) => {
  const latencyMs = Math.max(0, options.latencyMs ?? 0)

  const simRoute = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? "GET"
    const route = `${method} ${url.pathname}`
    switch (route) {
      case "GET /_sim/state":
        return simJson(res, 200, {
          ...model.snapshot(),
          requests: model.requestCounts(),
          faults: model.activeFaults
        })
      case "GET /_sim/auth": {
        const robot = url.searchParams.get("robot") ?? url.searchParams.get("username")
        const token = url.searchParams.get("token")
        const repo = url.searchParams.get("repo")
        const access = url.searchParams.get("access")
        if (robot === null || token === null || repo === null || (access !== "push" && access !== "pull")) {
          return simJson(res, 400, { message: "robot, token, repo (ns/name) and access (push|pull) are required" })
        }
        return simJson(res, 200, { allowed: model.authorize(robot, token, repo, access) })
      }
      case "POST /_sim/faults": {
        const body = await readJson(req)
        if (stringField(body, "clear") === true) {
          model.clearFaults()
          return simJson(res, 200, { faults: model.activeFaults })
        }
        const kind = stringField(body, "kind")
        if (!isFaultKind(kind)) return simJson(res, 400, { message: "kind must be one of 5xx, 429, timeout, 503" })
        try {
          model.injectFaults({ kind, next: numberField(body, "next"), rate: numberField(body, "rate") })
        } catch (error) {
          return simJson(res, 400, { message: error instanceof Error ? error.message : String(error) })
        }
        return simJson(res, 200, { faults: model.activeFaults })
      }
      case "DELETE /_sim/faults":
        model.clearFaults()
        return simJson(res, 200, { faults: model.activeFaults })
      case "POST /_sim/plan": {
        const plan = stringField(await readJson(req), "plan")
        if (plan !== "free" && plan !== "paid") return simJson(res, 400, { message: "plan must be free or paid" })
        model.setPlan(plan)
        return simJson(res, 200, { plan })
      }
      case "DELETE /_sim/requests":
        model.resetRequestCounts()
        return simJson(res, 200, { requests: model.requestCounts() })
      default:
        return simJson(res, 404, { message: `no simulator endpoint ${route}` })
    }
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
    // An injected timeout: hold the request open without answering; closing the server ends it.
    if (response._tag === "NoAnswer") return
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
    const route = url.pathname.startsWith("/_sim/") ? simRoute : apiRoute
    route(req, res, url).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return
      const message = error instanceof SyntaxError ? "malformed JSON body" : error instanceof Error ? error.message : "error"
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
        if (options.faultRate !== undefined && options.faultRate > 0) {
          m.injectFaults({ kind: options.faultKind ?? "5xx", rate: options.faultRate })
        }
        return m
      },
      catch: (error) => new SimError({ reason: error instanceof Error ? error.message : String(error) })
    })
    const limiter = yield* Effect.try({
      try: () =>
        options.rateLimit === undefined
          ? undefined
          : new RateLimiter({
            rate: options.rateLimit,
            ...(options.rateLimitBurst === undefined ? {} : { burst: options.rateLimitBurst })
          }),
      catch: (error) => new SimError({ reason: error instanceof Error ? error.message : String(error) })
    })
    const timers = new Set<NodeJS.Timeout>()
    const server = createServer(makeHandler(model, options, limiter, timers))
    const address = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => listen(server, options.port ?? 0, host),
        catch: (error) =>
          new SimError({ reason: `cannot listen on ${host}:${options.port ?? 0}: ${error instanceof Error ? error.message : String(error)}` })
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
      model
    }
  })
