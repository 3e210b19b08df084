import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { Secret } from "../../src/domain/Secret.ts"
import { parseFailurePaths } from "../../src/layers/parseFailurePaths.ts"

describe("parseFailurePaths", () => {
  it("names where an object failed to decode, never the value that failed", () => {
    const secretValue = "c2VjcmV0LXRva2VuLWRvLW5vdC1sb2c="
    const result = Schema.decodeUnknownEither(Secret)({
      metadata: { name: "s" },
      data: { ".dockerconfigjson": [secretValue] }
    })
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      // Schema's own message quotes the value; the paths do not.
      expect(result.left.message).toContain(secretValue)
      const text = parseFailurePaths(result.left)
      expect(text).toContain("data..dockerconfigjson")
      expect(text).not.toContain(secretValue)
    }
  })
})
