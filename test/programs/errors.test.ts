import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { fromKubernetes, fromQuay, fromQuayWhileProvisioning } from "../../src/programs/errors.ts"
import { KubernetesConflict, KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import {
  QuayInvalidRequest,
  QuayPlanLimitExceeded,
  QuayRateLimited,
  QuayUnauthorized,
  QuayUnavailable
} from "../../src/services/QuayError.ts"
import { applyImageRepository, mustGetImageRepository, ref, world } from "./World.ts"

describe("error classification", () => {
  it("a server's Retry-After reaches the work queue, so it does not come back sooner", () => {
    expect(fromQuay(new QuayRateLimited({ retryAfterSeconds: 120 })).retryAfter).toEqual(Duration.seconds(120))
    expect(fromQuayWhileProvisioning(new QuayRateLimited({ retryAfterSeconds: 90 }))).toMatchObject({
      _tag: "Transient",
      retryAfter: Duration.seconds(90)
    })
    expect(fromKubernetes(new KubernetesUnavailable({ status: 429, detail: "throttled", retryAfterSeconds: 7 })).retryAfter).toEqual(
      Duration.seconds(7)
    )
    expect(fromQuay(new QuayRateLimited({})).retryAfter).toBeUndefined()
    expect(fromKubernetes(new KubernetesConflict({ kind: "Secret", name: "s", detail: "moved on" })).retryAfter).toBeUndefined()
  })

  it("while provisioning: Quay outages and an unusable operator token are retried, Quay's refusals are critical", () => {
    expect(fromQuayWhileProvisioning(new QuayUnavailable({ status: 502, detail: "bad gateway" }))._tag).toBe("Transient")
    expect(fromQuayWhileProvisioning(new QuayUnauthorized({ status: 403, detail: "Unauthorized" }))._tag).toBe("Transient")
    expect(fromQuayWhileProvisioning(new QuayInvalidRequest({ status: 400, detail: "nope" }))._tag).toBe("Critical")
    expect(fromQuayWhileProvisioning(new QuayPlanLimitExceeded({ repository: "ns/x" }))).toMatchObject({
      _tag: "Critical",
      reason: "QuayPlanLimitExceeded"
    })
  })

  it("after provisioning nothing is critical", () => {
    expect(fromQuay(new QuayInvalidRequest({ status: 400, detail: "nope" }))._tag).toBe("Transient")
  })
})

describe("what a failed reconcile tells the user", () => {
  it.effect("a conflict is retried without a status message; an outage is shown", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* applyImageRepository("c")
      yield* kube.failNext(1, { verbs: ["patch"], error: "conflict" })
      expect((yield* Effect.either(reconcileImageRepository(ref("c"))))._tag).toBe("Left")
      expect((yield* mustGetImageRepository("c")).status?.message).toBeUndefined()
      yield* kube.failNext(1, { verbs: ["patch"], status: 503 })
      expect((yield* Effect.either(reconcileImageRepository(ref("c"))))._tag).toBe("Left")
      expect((yield* mustGetImageRepository("c")).status?.message).toContain("unavailable")
    }).pipe(Effect.provide(world())))
})
