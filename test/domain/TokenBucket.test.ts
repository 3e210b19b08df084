import { assert, describe, it } from "@effect/vitest"
import * as TokenBucket from "../../src/domain/TokenBucket.ts"

describe("TokenBucket", () => {
  const bucket: TokenBucket.TokenBucket = { perSecond: 10, capacity: 3 }

  it("reserve: the capacity at once, then one token every 1/perSecond, queued behind each other", () => {
    let state = TokenBucket.full(bucket, 0)
    const waits: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const [wait, next] = TokenBucket.reserve(bucket, state, 0)
      waits.push(wait)
      state = next
    }
    assert.deepStrictEqual(waits, [0, 0, 0, 100, 200])
    // A second later the debt is paid and the bucket has refilled by ten, capped at its capacity.
    assert.strictEqual(TokenBucket.refill(bucket, state, 1000).tokens, 3)
  })

  it("take: refuses without changing the debt, and admits again once a token has dripped in", () => {
    let state = TokenBucket.full(bucket, 0)
    const admitted: Array<boolean> = []
    for (let i = 0; i < 4; i++) {
      const [ok, next] = TokenBucket.take(bucket, state, 0)
      admitted.push(ok)
      state = next
    }
    assert.deepStrictEqual(admitted, [true, true, true, false])
    assert.isFalse(TokenBucket.take(bucket, state, 99)[0])
    assert.isTrue(TokenBucket.take(bucket, state, 100)[0])
  })

  it("a clock that goes backwards neither refills nor rewinds the bucket", () => {
    const [, after] = TokenBucket.reserve(bucket, TokenBucket.full(bucket, 1000), 1000)
    const back = TokenBucket.refill(bucket, after, 500)
    assert.strictEqual(back.tokens, 2)
    assert.strictEqual(back.at, 1000)
  })
})
