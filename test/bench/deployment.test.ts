import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { dockerfile, entrypointNodeArguments, quantityBytes } from "../../bench/harness/Deployment.ts"

describe("the memory bench's reading of the Deployment", () => {
  it("reads Kubernetes memory quantities in bytes, binary and decimal, and refuses what it cannot read", () => {
    assert.strictEqual(quantityBytes("256Mi"), 256 * 1024 * 1024)
    assert.strictEqual(quantityBytes("1Gi"), 1024 ** 3)
    assert.strictEqual(quantityBytes("500M"), 500e6)
    assert.strictEqual(quantityBytes("134217728"), 134217728)
    assert.isUndefined(quantityBytes("256 MiB"))
    assert.isUndefined(quantityBytes(""))
  })

  it("reads node's flags from the Dockerfile's exec-form ENTRYPOINT, and refuses another form", () => {
    assert.deepStrictEqual(
      entrypointNodeArguments('FROM x\nENTRYPOINT ["node", "--optimize-for-size", "dist/image/operator.js"]\n'),
      ["--optimize-for-size"]
    )
    assert.deepStrictEqual(entrypointNodeArguments('ENTRYPOINT ["node", "dist/image/operator.js"]'), [])
    assert.isUndefined(entrypointNodeArguments("ENTRYPOINT node dist/image/operator.js"))
    assert.isUndefined(entrypointNodeArguments('ENTRYPOINT ["/bin/sh", "-c", "node x.js"]'))
    assert.isUndefined(entrypointNodeArguments("FROM x"))
    // The image's own: the bench runs the operator with the flags it ships.
    assert.include(entrypointNodeArguments(Fs.readFileSync(dockerfile, "utf8")) ?? [], "--optimize-for-size")
  })
})
