import { describe, expect, it } from "@effect/vitest"
import { Option, Redacted } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import { secretName } from "../../src/domain/SecretName.ts"

const ir: ImageRepository = { metadata: { name: "imagerepository-sample", namespace: "test-ns", uid: "uid-1" } }

describe("RobotSecret", () => {
  const secret = RobotSecret.make(ir, {
    name: secretName(ir, "push"),
    imagePath: "quay.io/my-org/test-ns/imagerepository-sample",
    username: "my-org+robot_1",
    token: Redacted.make("TOKEN123")
  })

  it("is a dockerconfigjson Secret named <name>-image-push and owned by the ImageRepository", () => {
    expect(secret.metadata.name).toBe("imagerepository-sample-image-push")
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson")
    expect(secret.metadata.ownerReferences).toEqual([
      {
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "ImageRepository",
        name: "imagerepository-sample",
        uid: "uid-1",
        controller: true,
        blockOwnerDeletion: true
      }
    ])
  })

  it("holds base64(<org>+<robot>:<token>) under the image path key", () => {
    const document = JSON.parse(Buffer.from(secret.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8"))
    expect(Object.keys(document.auths)).toEqual(["quay.io/my-org/test-ns/imagerepository-sample"])
    expect(Buffer.from(document.auths["quay.io/my-org/test-ns/imagerepository-sample"].auth, "base64").toString()).toBe(
      "my-org+robot_1:TOKEN123"
    )
    const credentials = RobotSecret.credentialsIn(secret, "quay.io/my-org/test-ns/imagerepository-sample")
    expect(Option.map(credentials, (c) => [c.username, Redacted.value(c.token)])).toEqual(
      Option.some(["my-org+robot_1", "TOKEN123"])
    )
    expect(RobotSecret.holdsRobot(secret, "quay.io/my-org/test-ns/imagerepository-sample", "my-org+robot_1")).toBe(true)
    expect(RobotSecret.holdsRobot(secret, "quay.io/my-org/test-ns/other", "my-org+robot_1")).toBe(false)
  })

  it("a malformed document holds no credentials", () => {
    const broken = { ...secret, data: { ".dockerconfigjson": Buffer.from("{not json").toString("base64") } }
    expect(Option.isNone(RobotSecret.credentialsIn(broken, "quay.io/my-org/test-ns/imagerepository-sample"))).toBe(true)
  })
})
