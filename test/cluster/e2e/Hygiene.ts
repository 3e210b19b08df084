/**
 * Secrets hygiene for an end-to-end run: every robot token the simulator issues is collected while the run goes
 * on (sampled every 50 ms, so a token rotated away is still known), then the operators' whole logs, the Events and
 * the objects (statuses included) of the run's namespaces, and whatever else the run captured (the chaos soak's
 * metrics scrapes) are scanned for those tokens, the organization's token and anything shaped like a robot token.
 * Spans are not exported by the operator process; the unit test test/programs/secretsHygiene.test.ts scans them
 * (and metrics) in process.
 */
import { type Finding, scanAll } from "../../support/TokenScan.ts"
import { kubectl } from "./kubectl.ts"
import type { Rig } from "./Rig.ts"

export interface TokenWatch {
  readonly tokens: ReadonlySet<string>
  readonly stop: () => void
}

export const watchTokens = (rig: Pick<Rig, "token" | "sim">): TokenWatch => {
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

export interface Text {
  readonly source: string
  readonly text: string
}

export interface RunTexts {
  /** Every log line of every process of the run. */
  readonly logLines: ReadonlyArray<Text>
  readonly namespaces: ReadonlyArray<string>
  /** The kinds whose objects (statuses, annotations) are scanned in those namespaces. */
  readonly kinds: ReadonlyArray<string>
  /** Anything else the run captured. */
  readonly other?: ReadonlyArray<Text>
}

export interface HygieneScan {
  readonly lines: number
  readonly events: number
  readonly objects: number
  readonly other: number
  /** Robot tokens looked for (the organization's token besides). */
  readonly tokens: number
  readonly findings: ReadonlyArray<Finding>
}

/** Lists the namespaces' Events and objects and scans them with everything else the run captured. */
export const scanRun = async (watch: TokenWatch, run: RunTexts): Promise<HygieneScan> => {
  watch.stop()
  const listed = await Promise.all(run.namespaces.flatMap((ns) =>
    ["events", ...run.kinds].map((kind) =>
      kubectl(["get", kind, "-n", ns, "-o", "json"]).then((text) => ({
        kind,
        source: `${kind} in ${ns}`,
        text,
        count: (JSON.parse(text) as { items: Array<unknown> }).items.length
      }))
    )
  ))
  const count = (events: boolean) => listed.filter((l) => (l.kind === "events") === events).reduce((n, l) => n + l.count, 0)
  const findings = scanAll([...run.logLines, ...listed, ...(run.other ?? [])], watch.tokens)
  return {
    lines: run.logLines.length,
    events: count(true),
    objects: count(false),
    other: run.other?.length ?? 0,
    tokens: watch.tokens.size - 1,
    findings
  }
}

/** Scans the rig operator's log and the namespaces' Events and ImageRepositories; prints and returns the counts. */
export const hygieneReport = async (rig: Rig, watch: TokenWatch, namespaces: ReadonlyArray<string>) => {
  const logLines = rig.operator.log().split("\n").filter((line) => line !== "").map((text) => ({ source: "operator log", text }))
  const scan = await scanRun(watch, { logLines, namespaces, kinds: ["imagerepositories"] })
  const format = rig.options.logFormat ?? "pretty"
  process.stdout.write(
    `secrets hygiene: ${scan.lines} ${format} log lines, ${scan.events} Events, the namespaces' ImageRepositories; ` +
      `${scan.tokens} robot tokens and the organization token looked for: ${scan.findings.length} found\n`
  )
  return { lines: scan.lines, events: scan.events, tokens: scan.tokens, findings: scan.findings }
}
