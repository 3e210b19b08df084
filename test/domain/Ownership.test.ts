import { describe, expect, it } from "@effect/vitest"
import {
  isMarked,
  isOwnedBy,
  keptRepositoryDescription,
  markedOwner,
  repositoryDescription,
  robotDescription
} from "../../src/domain/Ownership.ts"

const meta = { namespace: "test-ns", name: "sample", uid: "0e0f30b6-d77e-406f-bfdf-5802db1447a4" }

describe("markedOwner: the owner a description written by the operator names", () => {
  it("reads kind, namespace, name and uid back from a repository's and a robot's description", () => {
    const owner = { kind: "ImageRepository", namespace: "test-ns", name: "sample", uid: meta.uid }
    expect(markedOwner(repositoryDescription(meta))).toEqual(owner)
    expect(markedOwner(robotDescription(meta))).toEqual(owner)
  })

  it("reads the namespace and uid of a robot whose long object name was cut", () => {
    const long = { ...meta, name: "n".repeat(253) }
    const owner = markedOwner(robotDescription(long))
    expect(owner?.namespace).toBe("test-ns")
    expect(owner?.uid).toBe(meta.uid)
    expect(long.name.startsWith(owner?.name ?? "-")).toBe(true)
  })

  it("names nobody for other text, a stray mark in someone's own words, or an object without a uid", () => {
    expect(markedOwner(null)).toBeUndefined()
    expect(markedOwner("AppStudio repository for the user")).toBeUndefined()
    expect(markedOwner(`my notes (uid ${meta.uid})`)).toBeUndefined()
    expect(markedOwner(`${repositoryDescription(meta)} and more`)).toBeUndefined()
    expect(markedOwner(repositoryDescription({ namespace: "test-ns", name: "sample" }))).toBeUndefined()
  })
})

describe("keptRepositoryDescription", () => {
  it("carries no mark: a kept repository is nobody's to delete", () => {
    const kept = keptRepositoryDescription(meta)
    expect(isMarked(kept)).toBe(false)
    expect(isOwnedBy(kept, meta)).toBe(false)
    expect(markedOwner(kept)).toBeUndefined()
    expect(kept).toContain("test-ns/sample")
  })
})
