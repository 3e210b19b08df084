import { describe, expect, it } from "@effect/vitest"
import type { ImageRepository, ImageRepositoryStatus } from "../../src/domain/ImageRepository.ts"
import { robotShortName } from "../../src/domain/RobotName.ts"
import { inspect, putBack } from "../../src/domain/StatusClaims.ts"

const registry = { organization: "my-org", registryHost: "quay.io" }
const metadata = { name: "sample", namespace: "test-ns", uid: "5b8e3c1e-0000-4000-8000-000000000001" }
const derived = robotShortName(metadata, "push", "my-org")
const object = (status: ImageRepositoryStatus): ImageRepository => ({ metadata, status })
const url = "quay.io/my-org/test-ns/sample"

describe("inspect: what status names, checked against the object's identity", () => {
  it("an operator's status passes with no damage and identity proof", () => {
    const claims = inspect(object({ image: { url }, credentials: { "push-robot-account": derived, "push-secret": "sample-image-push" } }), registry)
    expect(claims.damages).toEqual([])
    expect(claims.repository).toBe("test-ns/sample")
    expect(claims.robots.push).toEqual({ role: "push", shortName: derived, proof: "identity" })
    expect(claims.secrets).toEqual({ push: "sample-image-push", pull: "sample-image-pull" })
  })

  it("the original controller's names for the recorded repository pass, to be confirmed in Quay", () => {
    const claims = inspect(
      object({
        image: { url },
        credentials: { "push-robot-account": "test_ns_sample_0123456789", "pull-robot-account": "test_ns_sample_abcdef0123_pull" }
      }),
      registry
    )
    expect(claims.damages).toEqual([])
    expect(claims.robots.push).toEqual({ role: "push", shortName: "test_ns_sample_0123456789", proof: "original" })
    expect(claims.robots.pull.proof).toBe("original")
  })

  it("an original-looking name without a recorded repository cannot be told apart: damage, derived name used", () => {
    const claims = inspect(object({ credentials: { "push-robot-account": "test_ns_sample_0123456789" } }), registry)
    expect(claims.robots.push).toEqual({ role: "push", shortName: derived, proof: "identity" })
    expect(claims.damages.map((d) => d.field)).toEqual(["credentials.push-robot-account"])
  })

  it("other namespaces' robots and Secrets, and URLs outside the namespace or climbing out of it, are damage", () => {
    for (const bad of ["quay.io/my-org/other-ns/x", "quay.io/my-org/test-ns/../other-ns/x", "quay.io/other-org/test-ns/x", "quay.io/my-org/test-ns-evil/x", "quay.io/my-org/test-ns//x"]) {
      const claims = inspect(object({ image: { url: bad } }), registry)
      expect(claims.repository).toBeUndefined()
      expect(claims.damages.map((d) => d.field)).toEqual(["image.url"])
    }
    const claims = inspect(
      object({
        image: { url },
        credentials: {
          "push-robot-account": "other_ns_x_0123456789",
          "pull-robot-account": "other_ns_x_0123456789_pull",
          "push-secret": "other-image-push",
          "pull-secret": "other-image-pull"
        }
      }),
      registry
    )
    expect(claims.damages.map((d) => d.field)).toEqual([
      "credentials.push-robot-account",
      "credentials.pull-robot-account",
      "credentials.push-secret",
      "credentials.pull-secret"
    ])
    expect(claims.damages.every((d) => d.message.includes("not this ImageRepository's"))).toBe(true)
  })
})

describe("putBack: damaged fields", () => {
  it("a provisioned role gets its names back, another role's field is dropped, a damaged URL is dropped", () => {
    const status: ImageRepositoryStatus = {
      state: "ready",
      image: { url: "quay.io/my-org/other-ns/x", visibility: "public" },
      credentials: { generationTimestamp: "t", "push-robot-account": "x", "pull-robot-account": "y", "push-secret": "s" }
    }
    const damages = inspect(object(status), registry).damages
    expect(putBack(status, damages, { push: { robot: derived, secret: "sample-image-push" } })).toEqual({
      state: "ready",
      credentials: { generationTimestamp: "t", "push-robot-account": derived, "push-secret": "sample-image-push" }
    })
  })

  it("no damage: the status as it was", () => {
    const status: ImageRepositoryStatus = { state: "ready", image: { url }, credentials: { "push-robot-account": derived } }
    expect(putBack(status, [], {})).toEqual(status)
  })
})
