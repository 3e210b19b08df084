/** A line chart as a standalone SVG document, in plain TypeScript (no charting dependency). */
import type { Chart } from "../Scenario.ts"

const width = 720
const height = 400
const margin = { left: 70, right: 20, top: 40, bottom: 60 }
const colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]

const escape = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;")

/** About five round ticks from 0 to max. */
const ticks = (max: number): ReadonlyArray<number> => {
  if (!(max > 0)) return [0]
  const raw = max / 5
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => Number((i * step).toPrecision(12)))
}

export const render = (chart: Chart): string => {
  const points = chart.series.flatMap((s) => s.points)
  const maxX = Math.max(1e-9, ...points.map(([x]) => x))
  const maxY = Math.max(1e-9, ...points.map(([, y]) => y))
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const px = (x: number) => margin.left + (x / maxX) * plotW
  const py = (y: number) => margin.top + plotH - (y / maxY) * plotH
  const f = (n: number) => n.toFixed(1)
  const xTicks = ticks(maxX).map((t) =>
    `<line x1="${f(px(t))}" y1="${margin.top + plotH}" x2="${f(px(t))}" y2="${margin.top + plotH + 5}" stroke="#333"/>` +
    `<text x="${f(px(t))}" y="${margin.top + plotH + 20}" text-anchor="middle">${t}</text>`
  )
  const yTicks = ticks(maxY).map((t) =>
    `<line x1="${margin.left}" y1="${f(py(t))}" x2="${margin.left + plotW}" y2="${f(py(t))}" stroke="#eee"/>` +
    `<text x="${margin.left - 8}" y="${f(py(t) + 4)}" text-anchor="end">${t}</text>`
  )
  const lines = chart.series.map((s, i) => {
    const color = colors[i % colors.length] ?? "#000"
    const path = s.points.map(([x, y], j) => `${j === 0 ? "M" : "L"}${f(px(x))},${f(py(y))}`).join(" ")
    const legendY = margin.top + 8 + i * 18
    return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>` +
      `<rect x="${margin.left + 12}" y="${legendY - 9}" width="12" height="12" fill="${color}"/>` +
      `<text x="${margin.left + 30}" y="${legendY + 1}">${escape(s.name)}</text>`
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escape(chart.title)}</text>`,
    ...yTicks,
    ...xTicks,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#333"/>`,
    ...lines,
    `<text x="${margin.left + plotW / 2}" y="${height - 15}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`,
    `</svg>`,
    ""
  ].join("\n")
}
