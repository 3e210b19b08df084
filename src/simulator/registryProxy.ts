import { type IncomingMessage, request, type ServerResponse } from "node:http"
import * as Wire from "./QuayWire.ts"
import { writeAnswer } from "./http.ts"

/**
 * Quay serves its registry (`/v2/…`) on the same host as its API, so image URLs and the operator's Secrets name one
 * host. The simulator does the same: it forwards registry requests, bodies streamed both ways, to a real registry
 * (CNCF distribution) running beside it, which trusts the simulator's `/v2/auth` tokens.
 */
export const proxyRegistry = (upstream: URL | undefined, req: IncomingMessage, res: ServerResponse): void => {
  if (upstream === undefined) {
    req.resume()
    return writeAnswer(res, Wire.json(404, { errors: [{ code: "UNSUPPORTED", detail: {}, message: "no registry is attached to this simulator" }] }))
  }
  const forwarded = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      // The Host header stays the simulator's, so whatever the registry puts in a URL names the simulator.
      headers: req.headers
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    }
  )
  forwarded.on("error", () => {
    if (!res.headersSent) writeAnswer(res, Wire.badGateway)
    else res.destroy()
  })
  req.pipe(forwarded)
}
