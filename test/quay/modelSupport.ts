/** Requests to a QuayModel as the HTTP simulator would make them, and the shapes its answers take. */
import { type Plan, QuayModel } from "../../src/simulator/QuayModel.ts"

export const org = "myorg"
export const adminToken = "admin-token"

export interface Call {
  readonly status: number | "timeout"
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: unknown
}

export const newModel = (plan: Plan = "paid") => new QuayModel({ organization: org, token: adminToken, plan })

export const request = (
  model: QuayModel,
  method: string,
  path: string,
  init: {
    readonly body?: unknown
    readonly rawBody?: string
    readonly token?: string | null
    readonly contentType?: string
    readonly query?: Record<string, string>
  } = {}
): Call => {
  const token = init.token === undefined ? adminToken : init.token
  const response = model.handle({
    method,
    path: `/api/v1${path}`,
    query: new URLSearchParams(init.query ?? {}),
    authorization: token === null ? undefined : `Bearer ${token}`,
    contentType: init.contentType ?? (init.body !== undefined || init.rawBody !== undefined ? "application/json" : undefined),
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    host: "quay.example"
  })
  if (response._tag === "NoAnswer") return { status: "timeout", headers: {}, text: "", json: undefined }
  let json: unknown
  try {
    json = response.body === "" ? undefined : JSON.parse(response.body)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text: response.body, json }
}

export const createRepo = (model: QuayModel, name: string, visibility: "public" | "private" = "private", token?: string | null) =>
  request(model, "POST", "/repository", {
    body: { namespace: org, repository: name, visibility, description: `about ${name}` },
    ...(token === undefined ? {} : { token })
  })

export const apiException = (status: number, type: string, detail: string) => ({
  detail,
  error_message: detail,
  error_type: type,
  title: type,
  type: `https://quay.example/api/v1/error/${type}`,
  status
})

