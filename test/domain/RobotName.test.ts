import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { robotFullName, robotShortName, robotShortNamePattern } from "../../src/domain/RobotName.ts"

const identity = { namespace: "test-ns", name: "imagerepository-sample", uid: "0e0f30b6-d77e-406f-bfdf-5802db1447a4" }

describe("robotShortName", () => {
  it("has the original controller's shape: <ns>_<name>_<10 hex>, and _pull for pull robots", () => {
    expect(robotShortName(identity, "push", "my-org")).toMatch(/^test_ns_imagerepository_sample_[0-9a-f]{10}$/)
    expect(robotShortName(identity, "pull", "my-org")).toMatch(/^test_ns_imagerepository_sample_[0-9a-f]{10}_pull$/)
  })

  it("is deterministic in the object's identity and differs between objects and roles", () => {
    expect(robotShortName(identity, "push", "my-org")).toBe(robotShortName({ ...identity }, "push", "my-org"))
    expect(robotShortName(identity, "push", "my-org")).not.toBe(robotShortName({ ...identity, uid: "other" }, "push", "my-org"))
    expect(robotShortName(identity, "push", "my-org").replace(/_pull$/, "")).not.toBe(
      robotShortName(identity, "pull", "my-org").replace(/_pull$/, "")
    )
  })

  it("property: always valid for Quay (grammar, 2..255 chars, full name fits 255)", () => {
    const dns = FastCheck.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/)
    const org = FastCheck.stringMatching(/^[a-z0-9][a-z0-9_]{1,60}$/)
    FastCheck.assert(
      FastCheck.property(dns, dns, FastCheck.uuid(), org, FastCheck.constantFrom("push" as const, "pull" as const), (namespace, name, uid, organization, role) => {
        const short = robotShortName({ namespace, name, uid }, role, organization)
        return (
          robotShortNamePattern.test(short) &&
          short.length >= 2 &&
          short.length <= 255 &&
          robotFullName(organization, short).length <= 255
        )
      }),
      { numRuns: 500 }
    )
  })
})
