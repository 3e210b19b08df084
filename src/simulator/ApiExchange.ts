import type { IncomingMessage, ServerResponse } from "node:http"
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from "node:http2"
import { readBody, writeAnswer } from "./http.ts"
import type { QuayAnswer } from "./QuayWire.ts"

/**
 * One API request and its answer, the same over HTTP/1.1 and HTTP/2, so the simulator's API route (and the nginx
 * limit in front of it) is written once. `client` is what nginx keys its limit on: the client address over HTTP/1.x,
 * the connection over HTTP/2 (Quay's `rate-limiting.conf.jnj`: `$binary_remote_addr` for http1, `$connection` for http2).
 */
export interface ApiExchange {
  readonly method: string
  readonly httpVersion: string
  readonly client: string
  readonly authorization: string | undefined
  readonly contentType: string | undefined
  /** The Host header, or HTTP/2's `:authority`. */
  readonly host: string | undefined
  readonly readBody: () => Promise<string | undefined>
  /** Reads and drops the body (an answer sent before reading it). */
  readonly discard: () => void
  readonly answer: (answer: QuayAnswer) => void
  /** Ends the exchange without an answer (an injected dropped connection). */
  readonly drop: () => void
}

export const fromHttp1 = (req: IncomingMessage, res: ServerResponse): ApiExchange => ({
  method: req.method ?? "GET",
  httpVersion: req.httpVersion,
  client: `http1 ${req.socket.remoteAddress ?? "unknown"}`,
  authorization: req.headers.authorization,
  contentType: req.headers["content-type"],
  host: req.headers.host,
  readBody: () => readBody(req),
  discard: () => req.resume(),
  answer: (answer) => writeAnswer(res, answer),
  drop: () => req.socket.destroy()
})

const sessionIds = new WeakMap<Http2Session, number>()
let nextSessionId = 0

const sessionId = (session: Http2Session | undefined): string => {
  if (session === undefined) return "unknown"
  const known = sessionIds.get(session)
  if (known !== undefined) return String(known)
  nextSessionId += 1
  sessionIds.set(session, nextSessionId)
  return String(nextSessionId)
}

const headerText = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  typeof value === "string" ? value : value?.[0]

export const fromHttp2 = (req: Http2ServerRequest, res: Http2ServerResponse): ApiExchange => ({
  method: req.method,
  httpVersion: req.httpVersion,
  client: `http2 connection ${sessionId(req.stream.session)}`,
  authorization: headerText(req.headers.authorization),
  contentType: headerText(req.headers["content-type"]),
  host: headerText(req.headers[":authority"]) ?? headerText(req.headers.host),
  readBody: () => readBody(req),
  discard: () => req.resume(),
  answer: (answer) => {
    if (res.headersSent || res.stream.destroyed) return
    const body = Buffer.from(answer.body, "utf8")
    res.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) })
    res.end(body)
  },
  // Over HTTP/2 a dropped answer is a reset stream: the connection carries other requests.
  drop: () => res.stream.close()
})
