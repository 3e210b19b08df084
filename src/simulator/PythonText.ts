/**
 * How Python prints JSON values, for messages Quay builds with Python's own formatting: `repr` (as jsonschema
 * quotes instances) and `pprint.pformat(value, width=72)` (as jsonschema prints the failing schema and instance in
 * its multi-line error text). Dict keys are sorted, as pprint sorts them; long strings are split at spaces into
 * adjacent literals, as pprint does.
 */

type Value = unknown

const isRecord = (value: Value): value is Readonly<Record<string, Value>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const sortedEntries = (value: Readonly<Record<string, Value>>): Array<[string, Value]> =>
  Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

const reprString = (text: string): string => {
  const quote = text.includes("'") && !text.includes("\"") ? "\"" : "'"
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
  return `${quote}${quote === "'" ? escaped.replace(/'/g, "\\'") : escaped}${quote}`
}

/** Python's `repr` of a JSON value (`None`, `True`, single-quoted strings, dicts with sorted keys). */
export const pyRepr = (value: Value): string => {
  if (value === null || value === undefined) return "None"
  if (value === true) return "True"
  if (value === false) return "False"
  if (typeof value === "string") return reprString(value)
  if (typeof value === "number") return String(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`
  if (isRecord(value)) return `{${sortedEntries(value).map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(", ")}}`
  return String(value)
}

const width = 72

const formatString = (text: string, indent: number, allowance: number, level: number): string => {
  if (text.length === 0) return pyRepr(text)
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [text]
  const chunks: Array<string> = []
  const innerIndent = level === 1 ? indent + 1 : indent
  const innerAllowance = level === 1 ? allowance + 1 : allowance
  const maxWidth = width - innerIndent
  lines.forEach((line, i) => {
    const lastLine = i === lines.length - 1
    const lineWidth = lastLine ? maxWidth - innerAllowance : maxWidth
    if (pyRepr(line).length <= lineWidth) {
      chunks.push(pyRepr(line))
      return
    }
    const parts = line.match(/\S*\s*/g)?.filter((part) => part !== "") ?? [line]
    let current = ""
    parts.forEach((part, j) => {
      const partWidth = j === parts.length - 1 && lastLine ? maxWidth - innerAllowance : maxWidth
      const candidate = current + part
      if (pyRepr(candidate).length > partWidth) {
        if (current !== "") chunks.push(pyRepr(current))
        current = part
      } else {
        current = candidate
      }
    })
    if (current !== "") chunks.push(pyRepr(current))
  })
  if (chunks.length === 1) return pyRepr(text)
  const joined = chunks.join(`\n${" ".repeat(innerIndent)}`)
  return level === 1 ? `(${joined})` : joined
}

const format = (value: Value, indent: number, allowance: number, level: number): string => {
  const rep = pyRepr(value)
  if (rep.length <= width - indent - allowance) return rep
  if (isRecord(value)) {
    const entries = sortedEntries(value)
    if (entries.length === 0) return rep
    const inner = indent + 1
    return `{${
      entries.map(([key, entry], i) => {
        const keyRep = reprString(key)
        const last = i === entries.length - 1
        return `${keyRep}: ${format(entry, inner + keyRep.length + 2, last ? allowance + 1 : 1, level + 1)}`
      }).join(`,\n${" ".repeat(inner)}`)
    }}`
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return rep
    const inner = indent + 1
    return `[${
      value.map((item, i) => format(item, inner, i === value.length - 1 ? allowance + 1 : 1, level + 1))
        .join(`,\n${" ".repeat(inner)}`)
    }]`
  }
  if (typeof value === "string") return formatString(value, indent, allowance, level + 1)
  return rep
}

/** `pprint.pformat(value, width=72)`. */
export const pformat = (value: Value): string => format(value, 0, 0, 0)
