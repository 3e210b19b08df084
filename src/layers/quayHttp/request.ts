export type QuayMethod = "GET" | "POST" | "PUT" | "DELETE"

/** One call to Quay's API, relative to the API base URL (`.../api/v1`). */
export interface QuayRequest {
  readonly method: QuayMethod
  /** Already-encoded path below the API URL, starting with `/` (see `paths.ts`). */
  readonly path: string
  readonly urlParams?: Readonly<Record<string, string>>
  /** Sent as JSON. */
  readonly body?: unknown
}
