/**
 * An HTTP proxy in front of the Quay simulator that writes down when each request starts (arrives) and ends (its
 * answer is sent), in order: what `support/roundTrips.ts` measures round trips from, with no clock involved.
 */
import { createServer, request as forward } from "node:http"
import type { AddressInfo } from "node:net"
import { makeRecorder } from "../../support/roundTrips.ts"

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>/api/v1`: give it to the operator as QUAY_API_URL. */
  readonly apiUrl: string
  /** The registry host an operator derives from `apiUrl`: image URLs name it. */
  readonly registryHost: string
  readonly recorder: ReturnType<typeof makeRecorder>
  readonly close: () => Promise<void>
}

export const startRecordingProxy = async (target: { readonly port: number }): Promise<RecordingProxy> => {
  const recorder = makeRecorder()
  const server = createServer((req, res) => {
    const what = `${req.method ?? "GET"} ${(req.url ?? "").split("?")[0]}`
    const id = recorder.start(what)
    const upstream = forward(
      { host: "127.0.0.1", port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on("error", () => res.destroy())
    res.on("close", () => recorder.end(id, what))
    req.pipe(upstream)
  })
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve(server.address() as AddressInfo))
  })
  const registryHost = `127.0.0.1:${address.port}`
  return {
    apiUrl: `http://${registryHost}/api/v1`,
    registryHost,
    recorder,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
