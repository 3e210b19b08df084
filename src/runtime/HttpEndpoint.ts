import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Data, Effect, type Scope } from "effect"

export class HttpEndpointError extends Data.TaggedError("HttpEndpointError")<{
  readonly endpoint: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.endpoint} endpoint: ${this.reason}`
  }
}

export interface Reply {
  readonly status: number
  readonly body: string
  /** Default `text/plain; charset=utf-8`. */
  readonly contentType?: string
}

export interface HttpEndpoint {
  readonly port: number
}

/**
 * A small plain-HTTP endpoint for the kubelet and for Prometheus (probes, metrics): GET and HEAD only, one answer
 * per path, served until the scope closes. Answers are computed per request by `answer` (None: 404).
 */
export const serve = (
  endpoint: string,
  port: number,
  host: string,
  answer: (path: string) => Effect.Effect<Reply | undefined>
): Effect.Effect<HttpEndpoint, HttpEndpointError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: ReturnType<typeof createServer>; readonly port: number }, HttpEndpointError>((resume) => {
      const server = createServer((req, res) => {
        const reply = ({ body, contentType, status }: Reply) => {
          res.writeHead(status, { "content-type": contentType ?? "text/plain; charset=utf-8" })
          res.end(req.method === "HEAD" ? undefined : body)
        }
        if (req.method !== "GET" && req.method !== "HEAD") return reply({ status: 405, body: "method not allowed\n" })
        const path = (req.url ?? "/").split("?")[0] ?? "/"
        Effect.runPromise(answer(path)).then(
          (answered) => reply(answered ?? { status: 404, body: "not found\n" }),
          () => reply({ status: 500, body: "internal error\n" })
        )
      })
      server.once("error", (error) => resume(Effect.fail(new HttpEndpointError({ endpoint, reason: error.message }))))
      server.listen(port, host, () => {
        resume(Effect.succeed({ server, port: (server.address() as AddressInfo).port }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ port }) => ({ port })))
