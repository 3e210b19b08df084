/**
 * The Quay client's default rate limit, by where Quay runs and the protocol. quay.io's nginx limits /api/ to 5
 * requests/s per client IP with a burst of 25 over HTTP/1.x, and to 50/s with a burst of 100 per HTTP/2 connection
 * (the client then sends everything on one connection), and answers 429 without Retry-After beyond it: a client
 * that goes faster only wastes requests and waits on backoff, so against quay.io the client keeps to that limit. A self-hosted Quay ships with that
 * nginx limit off (FEATURE_RATE_LIMITS), so the same 5/s there would only make a burst of new objects wait (the bench's
 * burst: 1.5 objects/s at 5/s); it gets a ceiling of 300/s (100 objects/s at ~3 requests each) and the in-flight
 * limit bounds its load. An explicit QUAY_RATE_LIMIT / QUAY_BURST wins either way (a self-hosted Quay with its
 * rate limits turned on sets them to its nginx values).
 */
export interface RateLimit {
  readonly requestsPerSecond: number
  readonly burst: number
}

/**
 * The client paces at nginx's rate exactly (`clientLimit.ts`), but holds fewer tokens than nginx's `burst + 1`: requests
 * paced apart can still arrive together after a stall on the way (a busy event loop at either end), and nginx's bucket,
 * full meanwhile, has lost what it would have gained. The margin absorbs a stall of margin ÷ rate seconds; the bench's
 * quay-limit scenario drew 429s with a margin of one token (0.2 s) on a loaded machine and none with six.
 */
export const quayIoLimitMargin = { http1: 6, http2: 26 } as const

/** quay.io over HTTP/1.x: nginx's 5 requests/s per client address, its burst of 25 (26 at once) less the margin. */
export const quayIoLimit: RateLimit = { requestsPerSecond: 5, burst: 26 - quayIoLimitMargin.http1 }

/** quay.io over HTTP/2: nginx keys its limit on the connection, 50 requests/s with a burst of 100, less the margin. */
export const quayIoHttp2Limit: RateLimit = { requestsPerSecond: 50, burst: 101 - quayIoLimitMargin.http2 }

export const selfHostedLimit: RateLimit = { requestsPerSecond: 300, burst: 300 }

/** quay.io itself, or one of its own hosts. */
export const isQuayIo = (hostname: string): boolean => {
  const host = hostname.toLowerCase().replace(/\.$/, "")
  return host === "quay.io" || host.endsWith(".quay.io")
}

/** The limit for Quay at `apiUrl`, spoken to over HTTP/2 (one connection) or HTTP/1.1. */
export const defaultLimitFor = (apiUrl: URL, http2 = false): RateLimit =>
  isQuayIo(apiUrl.hostname) ? (http2 ? quayIoHttp2Limit : quayIoLimit) : selfHostedLimit
