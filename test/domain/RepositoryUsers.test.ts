import { describe, expect, it } from "@effect/vitest"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import { usersOf } from "../../src/domain/RepositoryUsers.ts"

const registry = { organization: "my-org", registryHost: "quay.io" }

const object = (name: string, url: string, extra: Partial<ImageRepository["metadata"]> = {}, state = "ready"): ImageRepository => ({
  metadata: { name, namespace: "test-ns", uid: `uid-${name}`, ...extra },
  status: { state, image: { url } }
})

describe("usersOf: the live objects provisioned to a repository", () => {
  it("counts ready objects that record it, except the one being deleted, failed ones and those being deleted", () => {
    const objects = [
      object("self", "quay.io/my-org/test-ns/shared"),
      object("user", "quay.io/my-org/test-ns/shared"),
      object("other", "quay.io/my-org/test-ns/other"),
      object("failed", "quay.io/my-org/test-ns/shared", {}, "failed"),
      object("going", "quay.io/my-org/test-ns/shared", { deletionTimestamp: "2024-01-01T00:00:00Z" })
    ]
    expect(usersOf(objects, "test-ns/shared", registry, "uid-self").map((o) => o.metadata.name)).toEqual(["user"])
  })

  it("a status URL outside the object's namespace or organization uses nothing", () => {
    const objects = [object("a", "quay.io/my-org/elsewhere/shared"), object("b", "quay.io/other-org/test-ns/shared")]
    expect(usersOf(objects, "elsewhere/shared", registry)).toEqual([])
    expect(usersOf(objects, "test-ns/shared", registry)).toEqual([])
  })
})
