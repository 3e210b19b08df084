/**
 * Secrets hygiene for an end-to-end run: every robot token the simulator issues is collected while the run goes
 * on (sampled every 50 ms, so a token rotated away is still known), then the operator's whole log, the Events and
 * the objects (statuses included) of the run's namespaces are scanned for those tokens, the organization's token
 * and anything shaped like a robot token. Spans and metrics are not exported by the operator process; the unit
 * test test/programs/secretsHygiene.test.ts scans them in process.
 */
import { scanAll } from "../../support/TokenScan.ts"
import { kubectl } from "./kubectl.ts"
import type { Rig } from "./Rig.ts"

export interface TokenWatch {
  readonly tokens: ReadonlySet<string>
  readonly stop: () => void
}

export const watchTokens = (rig: Rig): TokenWatch => {
  const tokens = new Set<string>([rig.token])
  const sample = () => {
    for (const robot of rig.sim.model.snapshot().robots) {
      const token = rig.sim.model.robotToken(robot.shortName)
      if (token !== undefined) tokens.add(token)
    }
  }
  const timer = setInterval(sample, 50)
  return {
    tokens,
    stop: () => {
      sample()
      clearInterval(timer)
    }
  }
}

/** Scans the rig operator's log and the namespaces' Events and ImageRepositories; prints and returns the counts. */
export const hygieneReport = async (rig: Rig, watch: TokenWatch, namespaces: ReadonlyArray<string>) => {
  watch.stop()
  const lines = rig.operator.log().split("\n").filter((line) => line !== "")
  const listed = await Promise.all(namespaces.flatMap((ns) => [
    kubectl(["get", "events", "-n", ns, "-o", "json"]).then((text) => ({ source: `Events in ${ns}`, text })),
    kubectl(["get", "imagerepositories", "-n", ns, "-o", "json"]).then((text) => ({ source: `ImageRepositories in ${ns}`, text }))
  ]))
  const events = listed.filter((l) => l.source.startsWith("Events")).reduce((n, l) => n + (JSON.parse(l.text) as { items: Array<unknown> }).items.length, 0)
  const findings = scanAll([...lines.map((text) => ({ source: "operator log", text })), ...listed], watch.tokens)
  const format = rig.options.logFormat ?? "pretty"
  process.stdout.write(
    `secrets hygiene: ${lines.length} ${format} log lines, ${events} Events, the namespaces' ImageRepositories; ` +
      `${watch.tokens.size - 1} robot tokens and the organization token looked for: ${findings.length} found\n`
  )
  return { lines: lines.length, events, tokens: watch.tokens.size - 1, findings }
}
