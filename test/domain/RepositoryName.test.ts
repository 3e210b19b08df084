import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { denotes, imageUrl, repositoryFromUrl, resolveRepositoryName } from "../../src/domain/RepositoryName.ts"

const quayGrammar = /^(?=.{0,255}$)[a-z0-9][.a-z0-9_-]*(?:\/[a-z0-9][.a-z0-9_-]*)*$/

const refused = (requested: string) => {
  const result = resolveRepositoryName("test-ns", "sample", requested)
  expect(Either.isLeft(result)).toBe(true)
  return Either.isLeft(result) ? result.left.message : ""
}

describe("resolveRepositoryName", () => {
  it("defaults to <namespace>/<object name>", () => {
    expect(resolveRepositoryName("test-ns", "imagerepository-sample", undefined)).toEqual(
      Either.right("test-ns/imagerepository-sample")
    )
    expect(resolveRepositoryName("test-ns", "imagerepository-sample", "")).toEqual(
      Either.right("test-ns/imagerepository-sample")
    )
  })

  it("prefixes a custom name with the namespace, and keeps one that already has it", () => {
    expect(resolveRepositoryName("test-ns", "x", "my-image")).toEqual(Either.right("test-ns/my-image"))
    expect(resolveRepositoryName("test-ns", "x", "test-ns/my-image")).toEqual(Either.right("test-ns/my-image"))
    expect(resolveRepositoryName("test-ns", "x", "app/comp")).toEqual(Either.right("test-ns/app/comp"))
  })

  it("puts a relative name that looks like another namespace under this one", () => {
    expect(resolveRepositoryName("test-ns", "x", "other-ns/image")).toEqual(Either.right("test-ns/other-ns/image"))
  })

  it("refuses an absolute name outside the namespace and accepts one inside", () => {
    expect(refused("/other-ns/image")).toContain("must stay within namespace 'test-ns'")
    expect(resolveRepositoryName("test-ns", "x", "/test-ns/image")).toEqual(Either.right("test-ns/image"))
  })

  it("refuses upper case, '..', empty segments, bad characters and over-long names with a reason", () => {
    expect(refused("My-Image")).toContain("lower case")
    expect(refused("a/../b")).toContain("'.' and '..'")
    expect(refused("a//b")).toContain("empty path segment")
    expect(refused("a/")).toContain("empty path segment")
    expect(refused("-a")).toContain("must start with a letter or digit")
    expect(refused("a b")).toContain("segment 'a b'")
    expect(refused("x".repeat(250))).toContain("longer than 255 characters")
  })

  it("property: every accepted name lies under the namespace and satisfies Quay's grammar", () => {
    const requested = FastCheck.oneof(
      FastCheck.string({ maxLength: 40 }),
      FastCheck.stringMatching(/^\/?[a-z0-9./_-]{0,40}$/),
      FastCheck.constantFrom("/test-ns/a", "test-ns/a", "..", "a/..", "/other/a")
    )
    FastCheck.assert(
      FastCheck.property(requested, (name) => {
        const result = resolveRepositoryName("test-ns", "sample", name)
        return Either.isLeft(result) || (result.right.startsWith("test-ns/") && quayGrammar.test(result.right))
      }),
      { numRuns: 500 }
    )
  })
})

describe("image URLs", () => {
  it("builds <host>/<org>/<repository> and reads the repository back only under the namespace", () => {
    const url = imageUrl("quay.io", "my-org", "test-ns/sample")
    expect(url).toBe("quay.io/my-org/test-ns/sample")
    expect(repositoryFromUrl(url, "quay.io", "my-org", "test-ns")).toBe("test-ns/sample")
    expect(repositoryFromUrl(url, "quay.io", "my-org", "other-ns")).toBeUndefined()
    expect(repositoryFromUrl(url, "quay.io", "other-org", "test-ns")).toBeUndefined()
    expect(repositoryFromUrl(url, "registry.example", "my-org", "test-ns")).toBeUndefined()
    expect(repositoryFromUrl(undefined, "quay.io", "my-org", "test-ns")).toBeUndefined()
  })

  it("denotes: a spec name with or without the prefix names the same repository", () => {
    expect(denotes("test-ns", "sample", "test-ns/sample")).toBe(true)
    expect(denotes("test-ns", "test-ns/sample", "test-ns/sample")).toBe(true)
    expect(denotes("test-ns", "/test-ns/sample", "test-ns/sample")).toBe(true)
    expect(denotes("test-ns", "other", "test-ns/sample")).toBe(false)
  })
})
