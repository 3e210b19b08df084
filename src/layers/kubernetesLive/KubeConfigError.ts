import { Data } from "effect"

/** No usable kubeconfig: none found, unreadable, or without a current cluster. */
export class KubeConfigError extends Data.TaggedError("KubeConfigError")<{
  readonly detail: string
}> {
  override get message(): string {
    return `cannot configure the Kubernetes client: ${this.detail}`
  }
}
