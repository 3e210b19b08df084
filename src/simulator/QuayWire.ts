/**
 * What Quay puts on the wire: the request the model accepts and the answers it gives, including the four
 * error body shapes (ApiException, data-model `{"message"}`, Flask abort `{"message"}`, `util.http.abort`
 * `{"error"}` served as text/html) and the proxy's HTML pages. Shared by the model, the in-memory layer
 * and the HTTP simulator, so all three speak exactly the same bytes.
 */

export interface QuayRequest {
  readonly method: string
  /** Percent-decoded path, e.g. `/api/v1/repository/myorg/ns/comp`. */
  readonly path: string
  readonly query?: URLSearchParams | undefined
  /** The raw `Authorization` header, e.g. `Bearer abc`. */
  readonly authorization?: string | undefined
  readonly contentType?: string | undefined
  /** The raw body; `undefined` when none was sent. */
  readonly body?: string | undefined
  /** `Host` header, used for redirect locations and ApiException `type` URLs. */
  readonly host?: string | undefined
}

export interface QuayAnswer {
  readonly _tag: "Answer"
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** An injected timeout: the server never answers; with `drop`, it closes the connection instead. */
export interface QuayNoAnswer {
  readonly _tag: "NoAnswer"
  readonly drop?: true
}

export type QuayResponse = QuayAnswer | QuayNoAnswer

export type ApiErrorType =
  | "invalid_request"
  | "invalid_token"
  | "insufficient_scope"
  | "exceeds_license"
  | "not_found"

const jsonType = "application/json"
const htmlType = "text/html; charset=utf-8"

/** Flask's jsonify: JSON text plus a trailing newline. */
export const json = (status: number, value: unknown, headers: Record<string, string> = {}): QuayAnswer => ({
  _tag: "Answer",
  status,
  headers: { "content-type": jsonType, ...headers },
  body: `${JSON.stringify(value)}\n`
})

/** Flask-RESTful's `"", 204`: an empty body still labelled JSON. */
export const noContent: QuayAnswer = { _tag: "Answer", status: 204, headers: { "content-type": jsonType }, body: "" }

/** Flask's automatic OPTIONS answer: 200, the allowed methods, an empty text/html body. */
export const options = (allowed: ReadonlyArray<string>): QuayAnswer => ({
  _tag: "Answer",
  status: 200,
  headers: { "content-type": htmlType, allow: allowed.join(", ") },
  body: ""
})

export const html = (status: number, body: string, headers: Record<string, string> = {}): QuayAnswer => ({
  _tag: "Answer",
  status,
  headers: { "content-type": htmlType, ...headers },
  body
})

/** Shape 1: `endpoints/exception.py` ApiException. */
export const apiException = (host: string, status: number, errorType: ApiErrorType, detail: string): QuayAnswer =>
  json(status, {
    detail,
    error_message: detail,
    error_type: errorType,
    title: errorType,
    type: `https://${host}/api/v1/error/${errorType}`,
    status
  })

export const invalidRequest = (host: string, detail: string): QuayAnswer =>
  apiException(host, 400, "invalid_request", detail)

export const notFound = (host: string): QuayAnswer => apiException(host, 404, "not_found", "Not Found")

export const paymentRequired = (host: string): QuayAnswer =>
  apiException(host, 402, "exceeds_license", "Payment Required")

/** `Unauthorized`: 401 without an authenticated user, 403 with one. */
export const unauthorized = (host: string, authenticated: boolean): QuayAnswer =>
  authenticated
    ? apiException(host, 403, "insufficient_scope", "Unauthorized")
    : apiException(host, 401, "invalid_token", "Requires authentication")

/** Shapes 2 and 3: a data-model exception (always 400) or a Flask-RESTful abort. */
export const message = (status: number, text: string): QuayAnswer => json(status, { message: text })

/** Shape 4: `util.http.abort`, JSON text served as text/html, without a trailing newline. */
export const errorAbort = (status: number, text: string): QuayAnswer => html(status, JSON.stringify({ error: text }))

export const csrfRejected: QuayAnswer = errorAbort(403, "CSRF token was invalid or missing.")

export const unsupportedMediaType: QuayAnswer = message(
  415,
  "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."
)

export const malformedJson: QuayAnswer = message(
  400,
  "The browser (or proxy) sent a request that this server could not understand."
)

export const methodNotAllowed = (allowed: ReadonlyArray<string>): QuayAnswer =>
  json(405, { message: "The method is not allowed for the requested URL." }, { allow: allowed.join(", ") })

export const readOnly: QuayAnswer = json(503, {
  message: "System is currently read-only. Pulls will succeed but all write operations are currently suspended.",
  is_readonly: true
})

/** An unhandled exception in Quay: Flask's default 500 page, not JSON. */
export const internalServerError: QuayAnswer = html(
  500,
  `<!doctype html>
<html lang=en>
<title>500 Internal Server Error</title>
<h1>Internal Server Error</h1>
<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>
`
)

/** Werkzeug's redirect for a rule defined with a trailing slash. */
export const permanentRedirect = (location: string): QuayAnswer =>
  html(
    308,
    `<!doctype html>
<html lang=en>
<title>Redirecting...</title>
<h1>Redirecting...</h1>
<p>You should be redirected automatically to the target URL: <a href="${location}">${location}</a>. If not, click the link.
`,
    { location }
  )

/** nginx's default `limit_req_status 429` page; nginx sends no Retry-After. */
export const tooManyRequests: QuayAnswer = html(
  429,
  `<html>
<head><title>429 Too Many Requests</title></head>
<body>
<center><h1>429 Too Many Requests</h1></center>
<hr><center>nginx</center>
</body>
</html>
`
)

/** Quay's nginx `/502.html` page, served when the app behind it is down. */
export const badGateway: QuayAnswer = html(
  502,
  `<!DOCTYPE html>
<html>
<head><title>Quay.io is currently unavailable</title></head>
<body>
<h1>502 Bad Gateway</h1>
<p>We're sorry, but Quay is currently unavailable. Please try again in a few moments.</p>
</body>
</html>
`
)

/** Quay's web UI, which answers (with 404) every path no API or registry route takes. */
export const webUiNotFound: QuayAnswer = html(
  404,
  `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Quay</title>
</head>
<body>
<div id="root"></div>
<noscript>You need to enable JavaScript to run this app.</noscript>
</body>
</html>
`
)

/** Werkzeug's 404 page for paths outside the API. */
export const pageNotFound: QuayAnswer = html(
  404,
  `<!doctype html>
<html lang=en>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>
`
)
