import { Data } from "effect"

/** What the apiserver answered, typed. `transient` errors are retried by the work queue with backoff. */
export class KubernetesNotFound extends Data.TaggedError("KubernetesNotFound")<{
  readonly kind: string
  readonly namespace?: string
  readonly name: string
}> {
  readonly transient = false
  override get message(): string {
    return `${this.kind} ${this.namespace === undefined ? "" : `${this.namespace}/`}${this.name} not found`
  }
}

/** 409: an optimistic-concurrency (resourceVersion) conflict, or AlreadyExists on create. */
export class KubernetesConflict extends Data.TaggedError("KubernetesConflict")<{
  readonly kind: string
  readonly name: string
  readonly detail: string
}> {
  readonly transient = true
  override get message(): string {
    return `conflict writing ${this.kind} ${this.name}: ${this.detail}`
  }
}

/** 400/422: the apiserver refused the object as invalid. */
export class KubernetesInvalid extends Data.TaggedError("KubernetesInvalid")<{
  readonly kind: string
  readonly name: string
  readonly detail: string
}> {
  readonly transient = false
  override get message(): string {
    return `${this.kind} ${this.name} is invalid: ${this.detail}`
  }
}

/** 401/403. */
export class KubernetesForbidden extends Data.TaggedError("KubernetesForbidden")<{
  readonly detail: string
}> {
  readonly transient = false
  override get message(): string {
    return `the apiserver refused the operator: ${this.detail}`
  }
}

/** 410 Gone: a watch's resourceVersion is too old; relist. */
export class KubernetesGone extends Data.TaggedError("KubernetesGone")<{
  readonly detail: string
}> {
  readonly transient = true
  override get message(): string {
    return `resourceVersion expired: ${this.detail}`
  }
}

/** 429, 5xx, network failure, timeout. */
export class KubernetesUnavailable extends Data.TaggedError("KubernetesUnavailable")<{
  readonly status?: number
  readonly detail: string
  /** The apiserver's own hint (a 429's details.retryAfterSeconds), honoured by the work queue. */
  readonly retryAfterSeconds?: number
}> {
  readonly transient = true
  override get message(): string {
    return `the apiserver is unavailable${this.status === undefined ? "" : ` (HTTP ${this.status})`}: ${this.detail}`
  }
}

export type KubernetesError =
  | KubernetesNotFound
  | KubernetesConflict
  | KubernetesInvalid
  | KubernetesForbidden
  | KubernetesGone
  | KubernetesUnavailable

/** Every KubernetesError's tag: what `isKubernetesError` recognises, whatever else a union holds. */
export const kubernetesErrorTags: ReadonlySet<string> = new Set<KubernetesError["_tag"]>([
  "KubernetesNotFound",
  "KubernetesConflict",
  "KubernetesInvalid",
  "KubernetesForbidden",
  "KubernetesGone",
  "KubernetesUnavailable"
])

/** Narrows a union of tagged errors to its apiserver errors. */
export const isKubernetesError = <E extends { readonly _tag: string }>(e: E): e is Extract<E, KubernetesError> =>
  kubernetesErrorTags.has(e._tag)
