import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as MergePatch from "../../src/domain/MergePatch.ts"

// JSON values without nulls inside objects (null means "delete" in a merge patch, so it cannot be a stored value).
const json: FastCheck.Arbitrary<unknown> = FastCheck.letrec((tie) => ({
  value: FastCheck.oneof(
    { depthSize: "small" },
    FastCheck.boolean(),
    FastCheck.integer(),
    FastCheck.string({ maxLength: 5 }),
    FastCheck.array(tie("value"), { maxLength: 3 }),
    FastCheck.dictionary(FastCheck.constantFrom("a", "b", "c", "d"), tie("value"), { maxKeys: 3 })
  )
})).value

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

describe("MergePatch", () => {
  it("applies RFC 7386: objects merge, null deletes, arrays and scalars replace", () => {
    expect(MergePatch.apply({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { a: null, b: { c: 4 }, e: [3] })).toEqual({
      b: { c: 4, d: 3 },
      e: [3]
    })
  })

  it("diff is undefined for equal documents and deletes removed keys with null", () => {
    expect(MergePatch.diff({ a: 1 }, { a: 1 })).toBeUndefined()
    expect(MergePatch.diff({ a: 1, b: 2 }, { a: 1 })).toEqual({ b: null })
    expect(MergePatch.diff({ a: { b: 1 } }, { a: { b: 1, c: 2 } })).toEqual({ a: { c: 2 } })
  })

  it("property: apply(from, diff(from, to)) == to", () => {
    const object = FastCheck.dictionary(FastCheck.constantFrom("a", "b", "c"), json, { maxKeys: 3 })
    FastCheck.assert(
      FastCheck.property(object, object, (from, to) => {
        const patch = MergePatch.diff(from, to)
        expect(patch === undefined ? from : MergePatch.apply(from, patch)).toEqual(to)
      }),
      { numRuns: 500 }
    )
  })

  // The one case merge patches cannot compose (see MergePatch.combine).
  const incomposable = (p: unknown, q: unknown): boolean => {
    if (!isObject(p) || !isObject(q)) return false
    return Object.keys(q).some((k) =>
      k in p && isObject(q[k]) ? !isObject(p[k]) || incomposable(p[k], q[k]) : false
    )
  }

  it("property: combine(p, q) has the effect of p then q", () => {
    const object = FastCheck.dictionary(FastCheck.constantFrom("a", "b", "c"), json, { maxKeys: 3 })
    FastCheck.assert(
      FastCheck.property(object, object, object, (doc, p, q) => {
        FastCheck.pre(!incomposable(p, q))
        expect(MergePatch.apply(doc, MergePatch.combine(p, q))).toEqual(MergePatch.apply(MergePatch.apply(doc, p), q))
      }),
      { numRuns: 300 }
    )
  })
})
