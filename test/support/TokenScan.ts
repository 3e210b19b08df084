/**
 * Looks for credentials where none may be: log lines, Events, statuses, span attributes, errors, metrics. A
 * finding is a known token (every robot token seen during the run, the organization's token), or any string shaped
 * like a Quay robot token (64 characters of [A-Z0-9]) even if it was never seen, also inside base64 (a dockerconfigjson
 * holds `user:token` base64-encoded, itself base64-encoded in a Secret's data), two layers deep.
 */

export interface Finding {
  readonly source: string
  readonly kind: "known token" | "token-shaped string"
}

const robotTokenShape = /(?<![A-Za-z0-9])[A-Z0-9]{64}(?![A-Za-z0-9])/g
const base64Run = /[A-Za-z0-9+/]{24,}={0,2}/g

export const findTokens = (source: string, text: string, known: ReadonlySet<string>): ReadonlyArray<Finding> => {
  const findings: Array<Finding> = []
  const visit = (t: string, depth: number) => {
    for (const token of known) {
      if (token !== "" && t.includes(token)) findings.push({ source, kind: "known token" })
    }
    for (const match of t.matchAll(robotTokenShape)) {
      if (!known.has(match[0])) findings.push({ source, kind: "token-shaped string" })
    }
    if (depth >= 2) return
    for (const match of t.matchAll(base64Run)) visit(Buffer.from(match[0], "base64").toString("latin1"), depth + 1)
  }
  visit(text, 0)
  return findings
}

/** Every text of a run, by where it came from; the findings across all of them. */
export const scanAll = (
  texts: ReadonlyArray<{ readonly source: string; readonly text: string }>,
  known: ReadonlySet<string>
): ReadonlyArray<Finding> => texts.flatMap(({ source, text }) => findTokens(source, text, known))
