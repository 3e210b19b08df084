import type { KubernetesError } from "../../services/KubernetesError.ts"
import {
  KubernetesConflict,
  KubernetesForbidden,
  KubernetesGone,
  KubernetesInvalid,
  KubernetesNotFound,
  KubernetesUnavailable
} from "../../services/KubernetesError.ts"

/** What a failed request was about, for error messages. */
export interface Subject {
  readonly kind: string
  readonly namespace?: string
  readonly name: string
}

/** Where a call is aimed: an object, or a collection (no name), in a namespace or across all. */
export interface Target {
  readonly namespace?: string | undefined
  readonly name?: string | undefined
}

export const subjectOf = (kind: { readonly kind: string }, target: Target): Subject => ({
  kind: kind.kind,
  ...(target.namespace === undefined || target.namespace === "" ? {} : { namespace: target.namespace }),
  name: target.name ?? ""
})

/** The message of a metav1.Status body, or a short excerpt of whatever the apiserver sent instead. */
export const statusMessage = (body: unknown, fallback: string): string => {
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string") {
    return body.message
  }
  if (typeof body === "string" && body.trim() !== "") return body.trim().slice(0, 300)
  return fallback
}

/** A metav1.Status's details.retryAfterSeconds, which the apiserver sets on 429s (and some 5xx). */
const retryAfterSecondsOf = (body: unknown): number | undefined => {
  if (typeof body !== "object" || body === null || !("details" in body)) return undefined
  const details = body.details
  if (typeof details !== "object" || details === null || !("retryAfterSeconds" in details)) return undefined
  const seconds = details.retryAfterSeconds
  return typeof seconds === "number" && seconds > 0 ? seconds : undefined
}

/** Maps an HTTP status (of a response or of a watch ERROR event) to the service's typed errors. */
export const fromStatus = (code: number, body: unknown, subject: Subject): KubernetesError => {
  const detail = statusMessage(body, `HTTP ${code}`)
  switch (code) {
    case 404:
      return new KubernetesNotFound({
        kind: subject.kind,
        ...(subject.namespace === undefined ? {} : { namespace: subject.namespace }),
        name: subject.name
      })
    case 409:
      return new KubernetesConflict({ kind: subject.kind, name: subject.name, detail })
    case 400:
    case 422:
      return new KubernetesInvalid({ kind: subject.kind, name: subject.name, detail })
    case 401:
    case 403:
      return new KubernetesForbidden({ detail })
    case 410:
      return new KubernetesGone({ detail })
  }
  if (code === 429 || code >= 500) {
    const retryAfterSeconds = retryAfterSecondsOf(body)
    return new KubernetesUnavailable({
      status: code,
      detail,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
    })
  }
  // 405, 406, 415 and the like: a request this client should never send; retrying cannot help.
  return new KubernetesInvalid({ kind: subject.kind, name: subject.name, detail: `HTTP ${code}: ${detail}` })
}
