import { badGateway, readOnly, tooManyRequests, type QuayResponse } from "./QuayWire.ts"

/**
 * Failures the world between the operator and Quay produces:
 * - `5xx`: nginx's 502 HTML page (the app behind it is down),
 * - `429`: nginx's rate-limit HTML page, without Retry-After,
 * - `timeout`: the request is never answered,
 * - `503`: Quay in read-only mode (JSON with `is_readonly`),
 * - `drop`: the connection is closed without an answer (a proxy or load balancer dropping it).
 */
export type FaultKind = "5xx" | "429" | "timeout" | "503" | "drop"

export const faultKinds: ReadonlyArray<FaultKind> = ["5xx", "429", "timeout", "503", "drop"]

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

/** One kind's share of requests in a mix of faults (the chaos soak's 5xx 10 %, 429 5 %, timeout 2 %, drop 1 %). */
export interface FaultShare {
  readonly kind: FaultKind
  readonly rate: number
}

export interface ActiveFaults {
  readonly kind: FaultKind
  readonly next: number
  readonly rate: number
  readonly mix: ReadonlyArray<FaultShare>
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
    case "drop":
      return { _tag: "NoAnswer", drop: true }
  }
}

/** Mutable fault state of one server: decides, request by request, whether this one fails, and counts what it injected. */
export class FaultInjector {
  private kind: FaultKind = "5xx"
  private next = 0
  private rate = 0
  private mix: ReadonlyArray<FaultShare> = []
  private random: () => number = Math.random
  private readonly injected = new Map<FaultKind, number>()

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

  /** Several kinds at once, each failing its share of requests (one draw per request); replaces any rate. */
  setMix(mix: ReadonlyArray<FaultShare>, random: () => number = Math.random): void {
    const total = mix.reduce((sum, share) => sum + share.rate, 0)
    if (!mix.every((share) => share.rate >= 0) || !(total <= 1)) {
      throw new RangeError(`fault rates must be at least 0 and add up to at most 1, got ${total}`)
    }
    this.rate = 0
    this.mix = mix
    this.random = random
  }

  clear(): void {
    this.next = 0
    this.rate = 0
    this.mix = []
  }

  get active(): ActiveFaults {
    return { kind: this.kind, next: this.next, rate: this.rate, mix: this.mix }
  }

  /** How many requests each kind has failed since the server started (cleared faults keep their counts). */
  get injectedCounts(): Readonly<Partial<Record<FaultKind, number>>> {
    return Object.fromEntries(this.injected)
  }

  /** The fault for this request, if it is one that fails. */
  draw(): FaultKind | undefined {
    const fault = this.pick()
    if (fault !== undefined) this.injected.set(fault, (this.injected.get(fault) ?? 0) + 1)
    return fault
  }

  private pick(): FaultKind | undefined {
    if (this.next > 0) {
      this.next -= 1
      return this.kind
    }
    if (this.rate > 0 && this.random() < this.rate) return this.kind
    if (this.mix.length === 0) return undefined
    const draw = this.random()
    let bound = 0
    for (const share of this.mix) {
      bound += share.rate
      if (draw < bound) return share.kind
    }
    return undefined
  }
}
