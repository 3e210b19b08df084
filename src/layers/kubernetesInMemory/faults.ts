import {
  KubernetesConflict,
  type KubernetesError,
  KubernetesUnavailable
} from "../../services/KubernetesError.ts"

/** The requests the in-memory apiserver counts and can fail. */
export type Verb = "get" | "list" | "create" | "replace" | "patch" | "delete" | "watch"

export const verbs: ReadonlyArray<Verb> = ["get", "list", "create", "replace", "patch", "delete", "watch"]

export const writeVerbs: ReadonlyArray<Verb> = ["create", "replace", "patch", "delete"]

/** Which calls fail, and how. */
export interface Fault {
  /** Only these verbs fail. Default: every verb but `watch`, so open watches are left alone unless asked. */
  readonly verbs?: ReadonlyArray<Verb>
  /** `unavailable` (the default) answers `KubernetesUnavailable`; `conflict` answers `KubernetesConflict`. */
  readonly error?: "unavailable" | "conflict"
  /** The HTTP status of an `unavailable` fault: 503 unless told (429 for throttling, 500, 504 ...). */
  readonly status?: number
  /**
   * Apply the write, then fail anyway: a response lost after the apiserver committed, so the caller cannot
   * tell whether its write happened.
   */
  readonly afterApply?: boolean
}

export interface RateFault extends Fault {
  /** Source of numbers in [0, 1); a call fails when it draws below the rate. Default: Effect's `Random`. */
  readonly random?: () => number
}

interface NextRule {
  remaining: number
  readonly fault: Fault
}

interface RateRule {
  readonly rate: number
  readonly fault: RateFault
}

export interface Injected {
  readonly error: KubernetesError
  readonly afterApply: boolean
}

const defaultVerbs: ReadonlyArray<Verb> = ["get", "list", "create", "replace", "patch", "delete"]

const applies = (fault: Fault, verb: Verb): boolean => (fault.verbs ?? defaultVerbs).includes(verb)

const errorOf = (fault: Fault, verb: Verb, kind: string, name: string): KubernetesError =>
  fault.error === "conflict"
    ? new KubernetesConflict({ kind, name, detail: `injected conflict on ${verb}` })
    : new KubernetesUnavailable({ status: fault.status ?? 503, detail: `injected failure on ${verb} ${kind}` })

/** The fault plan: "fail the next N calls" rules are used up first, then the rate rule draws. */
export interface Faults {
  readonly failNext: (count: number, fault: Fault) => void
  readonly failRate: (rate: number, fault: RateFault) => void
  readonly clear: () => void
  /** Decides for one call; `draw` is the default random source. */
  readonly decide: (verb: Verb, kind: string, name: string, draw: () => number) => Injected | undefined
}

export const makeFaults = (): Faults => {
  let next: Array<NextRule> = []
  let rate: RateRule | undefined
  return {
    failNext: (count, fault) => {
      if (count > 0) next.push({ remaining: count, fault })
    },
    failRate: (r, fault) => {
      rate = r <= 0 ? undefined : { rate: Math.min(r, 1), fault }
    },
    clear: () => {
      next = []
      rate = undefined
    },
    decide: (verb, kind, name, draw) => {
      const rule = next.find((r) => r.remaining > 0 && applies(r.fault, verb))
      if (rule !== undefined) {
        rule.remaining--
        next = next.filter((r) => r.remaining > 0)
        return { error: errorOf(rule.fault, verb, kind, name), afterApply: rule.fault.afterApply === true }
      }
      if (rate !== undefined && applies(rate.fault, verb) && (rate.fault.random ?? draw)() < rate.rate) {
        return { error: errorOf(rate.fault, verb, kind, name), afterApply: rate.fault.afterApply === true }
      }
      return undefined
    }
  }
}
