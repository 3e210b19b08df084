import { assert, describe, it } from "@effect/vitest"
import { quantityBytes } from "../../bench/harness/Deployment.ts"

describe("the memory bench's reading of the Deployment", () => {
  it("reads Kubernetes memory quantities in bytes, binary and decimal, and refuses what it cannot read", () => {
    assert.strictEqual(quantityBytes("256Mi"), 256 * 1024 * 1024)
    assert.strictEqual(quantityBytes("1Gi"), 1024 ** 3)
    assert.strictEqual(quantityBytes("500M"), 500e6)
    assert.strictEqual(quantityBytes("134217728"), 134217728)
    assert.isUndefined(quantityBytes("256 MiB"))
    assert.isUndefined(quantityBytes(""))
  })
})
