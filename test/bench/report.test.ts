/** The bench's figures, tables and charts: ratios, targets and the SVG are computed, not typed in. */
import { describe, expect, it } from "vitest"
import * as Figure from "../../bench/Figure.ts"
import * as Svg from "../../bench/report/Svg.ts"
import * as Table from "../../bench/report/Table.ts"

describe("Figure.make", () => {
  it("computes the ratios to the limit and the original and decides the target", () => {
    const f = Figure.make({ label: "p50", value: 260, unit: "ms", limit: 200, original: 790, target: Figure.ratioToLimitAtMost(1.3) })
    expect(f.ratio).toBeCloseTo(1.3)
    expect(f.originalRatio).toBeCloseTo(260 / 790)
    expect(f.met).toBe(true)
    expect(Figure.make({ label: "p50", value: 261, unit: "ms", limit: 200, target: Figure.ratioToLimitAtMost(1.3) }).met).toBe(false)
  })

  it("leaves a target that needs an unmeasured figure undecided, and a ratio over zero out", () => {
    const f = Figure.make({ label: "time", value: 10, unit: "s", target: Figure.ratioToOriginalAtMost(0.4) })
    expect(f.met).toBeUndefined()
    expect(f.originalRatio).toBeUndefined()
    expect(Figure.make({ label: "429s", value: 0, unit: "responses", limit: 0 }).ratio).toBeUndefined()
  })
})

describe("report", () => {
  it("prints three significant digits", () => {
    expect(Table.number(0.123456)).toBe("0.123")
    expect(Table.number(123456)).toBe("123456")
    expect(Table.number(12.345)).toBe("12.3")
  })

  it("renders a chart with one path per series and escaped text", () => {
    const svg = Svg.render({
      file: "c",
      title: "a < b",
      xLabel: "s",
      yLabel: "ready",
      series: [{ name: "ours", points: [[0, 0], [1, 5]] }, { name: "original", points: [[0, 0], [4, 5]] }]
    })
    expect(svg.match(/<path /g)?.length).toBe(2)
    expect(svg).toContain("a &lt; b")
  })
})
