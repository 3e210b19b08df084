/** A Quay simulator started for one test, and a plain HTTP client that talks to it as Quay's clients do. */
import { Effect } from "effect"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"

export const org = "myorg"
export const token = "sim-admin-token"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: unknown
}

export const http = (
  url: string,
  init: { readonly method?: string; readonly body?: unknown; readonly rawBody?: string; readonly auth?: string | null; readonly contentType?: string; readonly timeoutMs?: number } = {}
): Effect.Effect<Reply, Error> =>
  Effect.tryPromise({
    try: async () => {
      const headers: Record<string, string> = {}
      const auth = init.auth === undefined ? token : init.auth
      if (auth !== null) headers["authorization"] = `Bearer ${auth}`
      const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body))
      if (init.contentType !== undefined) headers["content-type"] = init.contentType
      else if (body !== undefined) headers["content-type"] = "application/json"
      const response = await fetch(url, {
        method: init.method ?? "GET",
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
        ...(body === undefined ? {} : { body })
      })
      const text = await response.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: response.status, headers: response.headers, text, json }
    },
    catch: (cause) => (cause instanceof Error ? cause : new Error(String(cause)))
  })

export const startSim = (options: Partial<QuaySimulator.SimulatorOptions> = {}) =>
  QuaySimulator.start({ port: 0, organization: org, token, ...options })
