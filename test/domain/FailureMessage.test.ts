import { assert, describe, it } from "@effect/vitest"
import { Data } from "effect"
import { failureMessage } from "../../src/domain/FailureMessage.ts"

class Tagged extends Data.TaggedError("Tagged")<{ readonly token: string }> {}

describe("failureMessage", () => {
  it("takes the message, else the tag, else the fallback; never the object's fields", () => {
    assert.strictEqual(failureMessage(new Error("boom")), "boom")
    const tagged = failureMessage(new Tagged({ token: "s3cr3t" }))
    assert.strictEqual(tagged, "Tagged")
    assert.notInclude(tagged, "s3cr3t")
    assert.strictEqual(failureMessage({ secret: "s3cr3t" }), "unknown error")
    assert.strictEqual(failureMessage(undefined, "unknown defect"), "unknown defect")
    assert.strictEqual(failureMessage("plain"), "plain")
  })
})
