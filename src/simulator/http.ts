import type { IncomingMessage, ServerResponse } from "node:http"
import type { Readable } from "node:stream"
import type { QuayAnswer } from "./QuayWire.ts"
import * as Wire from "./QuayWire.ts"

/** The simulator's plumbing between node:http and the model's answers: writing an answer, reading a bounded body. */

/** Bodies above this are refused (Quay refuses robot bodies over 1 MiB; nothing legitimate comes close). */
const maxBodyBytes = 2 * 1024 * 1024

export const writeAnswer = (res: ServerResponse, answer: QuayAnswer): void => {
  if (res.destroyed || res.headersSent) return
  const body = Buffer.from(answer.body, "utf8")
  res.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) })
  res.end(body)
}

export const simJson = (res: ServerResponse, status: number, value: unknown): void => writeAnswer(res, Wire.json(status, value))

/** Over HTTP/1.1 an IncomingMessage, over HTTP/2 the compatibility API's request: both are Readables. */
export const readBody = (req: Readable): Promise<string | undefined> =>
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

export const readJson = async (req: IncomingMessage): Promise<unknown> => {
  const text = await readBody(req)
  return text === undefined || text.trim() === "" ? {} : JSON.parse(text)
}

export const numberField = (body: unknown, key: string): number | undefined => {
  if (typeof body !== "object" || body === null || !(key in body)) return undefined
  const value = (body as Record<string, unknown>)[key]
  return typeof value === "number" ? value : Number.NaN
}

export const field = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null && key in body ? (body as Record<string, unknown>)[key] : undefined

