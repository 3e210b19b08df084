import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import {
  derivesFrom,
  isOriginalRobotName,
  robotFullName,
  robotShortName,
  robotShortNamePattern
} from "../../src/domain/RobotName.ts"

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

describe("isOriginalRobotName: the names the original controller gave robots of a repository", () => {
  it("accepts its shape, underscores collapsed (since late 2024) or not, and _pull only for pull robots", () => {
    expect(isOriginalRobotName("test_ns_my_comp_1a2b3c4d5e", "test-ns/my-comp", "push")).toBe(true)
    expect(isOriginalRobotName("test_ns_my_comp_9f8e7d6c5b_pull", "test-ns/my-comp", "pull")).toBe(true)
    expect(isOriginalRobotName("test_ns_my_comp_9f8e7d6c5b_pull", "test-ns/my-comp", "push")).toBe(false)
    expect(isOriginalRobotName("test_ns_my_comp_1a2b3c4d5e", "test-ns/my-comp", "pull")).toBe(false)
    expect(isOriginalRobotName("test_ns_my__comp_1a2b3c4d5e", "test-ns/my.-comp", "push")).toBe(true)
    expect(isOriginalRobotName("test_ns_my_comp_1a2b3c4d5e", "test-ns/my.-comp", "push")).toBe(true)
    expect(isOriginalRobotName("test_ns_x_1a2b3c4d5e", "test-ns/x_", "push")).toBe(true)
  })

  it("refuses another repository's robots, other suffixes and upper-case hex", () => {
    expect(isOriginalRobotName("other_ns_my_comp_1a2b3c4d5e", "test-ns/my-comp", "push")).toBe(false)
    expect(isOriginalRobotName("test_ns_my_comp_other_1a2b3c4d5e", "test-ns/my-comp", "push")).toBe(false)
    expect(isOriginalRobotName("test_ns_my_comp_1A2B3C4D5E", "test-ns/my-comp", "push")).toBe(false)
    expect(isOriginalRobotName("test_ns_my_comp_1a2b3c4d5", "test-ns/my-comp", "push")).toBe(false)
    expect(isOriginalRobotName("test_ns_my_1a2b3c4d5e", "test-ns/my-comp", "push")).toBe(false)
  })

  it("cuts the path at 220 characters as the original did", () => {
    const repository = `ns/${"a".repeat(300)}`
    expect(isOriginalRobotName(`ns_${"a".repeat(217)}_0123456789`, repository, "push")).toBe(true)
    expect(isOriginalRobotName(`ns_${"a".repeat(218)}_0123456789`, repository, "push")).toBe(false)
  })

  it("the operator's own names have the same shape: an object's derived robot passes for its default repository", () => {
    expect(isOriginalRobotName(robotShortName(identity, "push", "my-org"), "test-ns/imagerepository-sample", "push")).toBe(true)
  })
})

describe("derivesFrom", () => {
  it("tells a robot named for this uid, in either role, from one named for another object", () => {
    expect(derivesFrom(robotShortName(identity, "push", "my-org"), identity.uid)).toBe(true)
    expect(derivesFrom(robotShortName(identity, "pull", "my-org"), identity.uid)).toBe(true)
    expect(derivesFrom(robotShortName({ ...identity, uid: "other" }, "push", "my-org"), identity.uid)).toBe(false)
    expect(derivesFrom("test_ns_imagerepository_sample_0123456789", identity.uid)).toBe(false)
  })
})
