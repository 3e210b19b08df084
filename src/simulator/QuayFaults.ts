import { badGateway, readOnly, tooManyRequests, type QuayResponse } from "./QuayWire.ts"

/**
 * Failures the world between the operator and Quay produces:
 * - `5xx`: nginx's 502 HTML page (the app behind it is down),
 * - `429`: nginx's rate-limit HTML page, without Retry-After,
 * - `timeout`: the request is never answered,
 * - `503`: Quay in read-only mode (JSON with `is_readonly`).
 */
export type FaultKind = "5xx" | "429" | "timeout" | "503"

export const faultKinds: ReadonlyArray<FaultKind> = ["5xx", "429", "timeout", "503"]

export const isFaultKind = (u: unknown): u is FaultKind => faultKinds.some((kind) => kind === u)

export interface FaultPlan {
  readonly kind: FaultKind
  /** Fail exactly the next N requests. */
  readonly next?: number | undefined
  /** Then fail this fraction (0..1) of requests, drawn from the random source. */
  readonly rate?: number | undefined
  /** Source of the draws for `rate`; injectable so tests are deterministic. Defaults to Math.random. */
  readonly random?: (() => number) | undefined
}

/** The answer a fault gives instead of Quay's. */
export const faultResponse = (kind: FaultKind): QuayResponse => {
  switch (kind) {
    case "5xx":
      return badGateway
    case "429":
      return tooManyRequests
    case "503":
      return readOnly
    case "timeout":
      return { _tag: "NoAnswer" }
  }
}

/** Mutable fault state of one server: decides, request by request, whether this one fails. */
export class FaultInjector {
  private kind: FaultKind = "5xx"
  private next = 0
  private rate = 0
  private random: () => number = Math.random

  set(plan: FaultPlan): void {
    const rate = plan.rate ?? 0
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault rate must be within 0..1, got ${rate}`)
    const next = plan.next ?? 0
    if (!(Number.isInteger(next) && next >= 0)) throw new RangeError(`fault count must be a natural number, got ${next}`)
    this.kind = plan.kind
    this.next = next
    this.rate = rate
    this.random = plan.random ?? Math.random
  }

  clear(): void {
    this.next = 0
    this.rate = 0
  }

  get active(): { readonly kind: FaultKind; readonly next: number; readonly rate: number } {
    return { kind: this.kind, next: this.next, rate: this.rate }
  }

  /** The fault for this request, if it is one that fails. */
  draw(): FaultKind | undefined {
    if (this.next > 0) {
      this.next -= 1
      return this.kind
    }
    if (this.rate > 0 && this.random() < this.rate) return this.kind
    return undefined
  }
}
