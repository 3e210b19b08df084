// Module paths, not the @effect/platform barrel (see transport.ts).
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer, type Scope } from "effect"
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from "node:http2"
import { Readable } from "node:stream"

/**
 * An `HttpClient` over HTTP/2 (`node:http2`): one multiplexed connection per origin, opened at the first request,
 * opened again when the server closes it (GOAWAY, idle timeout) or it fails, and closed with the scope. quay.io's
 * nginx limits an HTTP/2 connection to 50 requests/s against 5/s per client address over HTTP/1.x, so all of the
 * operator's requests share one connection on purpose. TLS with ALPN (h2) for https URLs, as quay.io serves it;
 * prior-knowledge h2c for http URLs.
 */
export interface Http2ClientOptions {
  /** Trusted CAs in place of Node's defaults (the system roots plus a private CA, as the HTTP/1.1 agent gets). */
  readonly ca?: ReadonlyArray<string> | undefined
}

const requestBody = (request: HttpClientRequest.HttpClientRequest): Uint8Array | string | undefined => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return undefined
    case "Uint8Array":
      return body.body
    case "Raw":
      return typeof body.body === "string" || body.body instanceof Uint8Array ? body.body : undefined
    default:
      return undefined
  }
}

const responseHeaders = (headers: IncomingHttpHeaders): Headers => {
  const result = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue
    for (const one of Array.isArray(value) ? value : [String(value)]) result.append(name, one)
  }
  return result
}

export const make = (options: Http2ClientOptions = {}): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.gen(function*() {
    const sessions = new Map<string, ClientHttp2Session>()
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const session of sessions.values()) session.close()
        sessions.clear()
      })
    )

    const sessionFor = (origin: string): ClientHttp2Session => {
      const open = sessions.get(origin)
      if (open !== undefined && !open.closed && !open.destroyed) return open
      const session = connect(origin, options.ca === undefined ? {} : { ca: [...options.ca] })
      // A failed connection fails its streams (each request sees the error); the session itself must not throw.
      session.on("error", () => sessions.delete(origin))
      session.on("goaway", () => sessions.delete(origin))
      session.on("close", () => {
        if (sessions.get(origin) === session) sessions.delete(origin)
      })
      sessions.set(origin, session)
      return session
    }

    return HttpClient.make((request, url) =>
      Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
        const transportError = (cause: unknown) =>
          new HttpClientError.RequestError({ request, reason: "Transport", cause })
        const body = requestBody(request)
        if (body === undefined && request.body._tag !== "Empty") {
          resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Encode", description: `body ${request.body._tag} is not supported over HTTP/2` })))
          return
        }
        let stream: ReturnType<ClientHttp2Session["request"]>
        try {
          stream = sessionFor(url.origin).request({
            ...request.headers,
            ...(request.body._tag === "Empty" || request.body.contentType === "" ? {} : { "content-type": request.body.contentType }),
            [constants.HTTP2_HEADER_METHOD]: request.method,
            [constants.HTTP2_HEADER_PATH]: `${url.pathname}${url.search}`
          })
        } catch (cause) {
          resume(Effect.fail(transportError(cause)))
          return
        }
        let answered = false
        stream.once("error", (cause) => {
          // After the headers, a failure belongs to the body's stream, which reports it to its reader.
          if (!answered) resume(Effect.fail(transportError(cause)))
        })
        stream.once("response", (headers) => {
          answered = true
          const status = Number(headers[constants.HTTP2_HEADER_STATUS])
          const hasBody = status !== 204 && status !== 304 && request.method !== "HEAD"
          const web = new Response(hasBody ? Readable.toWeb(stream) as ReadableStream<Uint8Array> : null, {
            status,
            headers: responseHeaders(headers)
          })
          if (!hasBody) stream.resume()
          resume(Effect.succeed(HttpClientResponse.fromWeb(request, web)))
        })
        stream.end(body)
        // Interrupted (a timeout, a shutdown): cancel this stream only; the connection carries the others.
        return Effect.sync(() => {
          if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL)
        })
      })
    )
  })

export const layer = (options: Http2ClientOptions = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.scoped(HttpClient.HttpClient, make(options))
