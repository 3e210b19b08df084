/** The figures of results as a plain-text table (printed) and as a Markdown table (bench/results/README.md). */
import type { Figure, Result } from "../Scenario.ts"

/** Three significant digits, no exponent: what a reader compares at a glance. */
export const number = (n: number): string => {
  if (!Number.isFinite(n)) return String(n)
  if (n === 0) return "0"
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(n))))
  return n.toFixed(Math.min(digits, 3))
}

const optional = (n: number | undefined, suffix = ""): string => (n === undefined ? "–" : `${number(n)}${suffix}`)

const met = (figure: Figure): string => (figure.met === undefined ? "–" : figure.met ? "met" : "missed")

export const header = ["scenario", "figure", "value", "limit", "ratio", "original", "ratio to original", "target", "met"] as const

export const rows = (results: ReadonlyArray<Result>): ReadonlyArray<ReadonlyArray<string>> =>
  results.flatMap((result) =>
    result.figures.map((figure) => [
      result.name,
      figure.label,
      `${number(figure.value)} ${figure.unit}`,
      optional(figure.limit, ` ${figure.unit}`),
      optional(figure.ratio),
      optional(figure.original, ` ${figure.unit}`),
      optional(figure.originalRatio),
      figure.target ?? "–",
      met(figure)
    ])
  )

export const text = (result: Result): string => {
  const table = [[...header], ...rows([result])]
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)))
  const lines = table.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd())
  const settings = Object.entries(result.settings).map(([key, value]) => `${key}=${value}`).join(", ")
  return [
    `${result.name}: ${result.title}`,
    `  settings: ${settings}`,
    ...lines.map((line) => `  ${line}`),
    ...result.notes.map((note) => `  note: ${note}`)
  ].join("\n")
}

const cell = (text: string): string => text.replaceAll("|", "\\|")

export const markdown = (results: ReadonlyArray<Result>): string =>
  [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows(results).map((row) => `| ${row.map(cell).join(" | ")} |`)
  ].join("\n")
