/**
 * The hostile-input corpus (e2e/BadInputCorpus.ts), end to end: every case is created at once against the real
 * apiserver, with the operator as a process and the Quay simulator over HTTP, then followed until it ends the way
 * it must. Afterwards Quay holds nothing no legitimate object accounts for, and the neighbour's namespace and Quay
 * objects are exactly as they were. Prints one line per case: how it ended.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type BadInput, type CorpusContext, corpus, objectOf } from "./e2e/BadInputCorpus.ts"
import { hygieneReport, type TokenWatch, watchTokens } from "./e2e/Hygiene.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { type Neighbour, neighbourState, stageNeighbour } from "./e2e/Neighbour.ts"
import {
  applyYaml,
  getImageRepository,
  imageRepository,
  type ImageRepositoryJson,
  organization,
  ready,
  type Rig,
  type SecretJson,
  startRig,
  stopRig
} from "./e2e/Rig.ts"

interface Run {
  readonly input: BadInput
  readonly index: number
  readonly name?: string
  readonly uid?: string
  readonly rejection?: string
  /** Quay objects carrying the case's uid before its status was tampered with. */
  owned?: ReadonlyArray<string>
}

interface EventJson {
  readonly type: string
  readonly reason: string
  readonly message: string
  readonly involvedObject: { readonly name: string }
}

/** Runs `f` over `items`, at most `limit` at a time. */
const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A, i: number) => Promise<B>) => {
  const results: Array<B> = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await f(items[i] as A, i)
    }
  }))
  return results
}

/** The apiserver's reason, without kubectl's framing. */
const rejectionOf = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  const reason = text.replace(/^kubectl [^:]*: /s, "").replace(/^Error from server[^:]*: /, "").replace(/\s+/g, " ")
  return reason.trim()
}

const ownedBy = (rig: Rig, uid: string | undefined): ReadonlyArray<string> => {
  if (uid === undefined) return []
  const snapshot = rig.sim.model.snapshot()
  return [
    ...snapshot.repositories.filter((r) => (r.description ?? "").includes(uid)).map((r) => `repository ${r.name}`),
    ...snapshot.robots.filter((r) => r.description.includes(uid)).map((r) => `robot ${r.shortName}`)
  ].sort()
}

describe("the hostile-input corpus against the real apiserver, the operator and the Quay simulator", () => {
  let rig: Rig
  let neighbour: Neighbour
  let ctx: CorpusContext
  let watch: TokenWatch

  beforeAll(async () => {
    // Many objects at once on a shared machine: a Lease that survives a slow apiserver answer or two.
    rig = await startRig("bad-input", { logFormat: "json", lease: ["20s", "15s", "2s"] })
    watch = watchTokens(rig)
    neighbour = await stageNeighbour(rig)
    ctx = { namespace: rig.namespace, neighbour, registryHost: rig.sim.registryHost, organization, good: "good" }
    await applyYaml(imageRepository(rig.namespace, "good"))
    await ready(rig.namespace, "good")
  })
  afterAll(async () => {
    watch.stop()
    await stopRig(rig)
    await kubectl(["delete", "namespace", neighbour.namespace, "--wait=false"])
  })

  it("each case ends as it must, creates nothing in Quay and never touches another namespace", async () => {
    const ns = rig.namespace
    const neighbourBefore = await neighbourState(rig, neighbour)
    const good = await getImageRepository(ns, "good")
    const goodBefore = {
      quay: ownedBy(rig, good?.metadata.uid),
      repository: rig.sim.model.snapshot().repositories.find((r) => r.name === `${ns}/good`),
      secret: (await getJson<SecretJson>("secret", ns, "good-image-push"))?.data
    }

    const runs: Array<Run> = await mapLimit(corpus, 8, async (input, index) => {
      try {
        const created = JSON.parse(
          await kubectl(["create", "-f", "-", "-o", "json"], JSON.stringify(objectOf(input, ctx, `c${index}`)))
        ) as ImageRepositoryJson
        return { input, index, name: created.metadata.name, uid: created.metadata.uid }
      } catch (error) {
        return { input, index, rejection: rejectionOf(error) }
      }
    })

    await Promise.all(runs.map(async (run) => {
      const { input, name } = run
      if (name === undefined) return
      if (input.await !== undefined) {
        await eventually(`${name} ${input.await}`, async () =>
          (await getImageRepository(ns, name))?.status?.state === input.await ? true : undefined, 60_000)
      }
      run.owned = ownedBy(rig, run.uid)
      for (const args of input.then?.(ctx, name) ?? []) await kubectl(args)
    }))

    // Every case is followed until it has ended as it must (or the wait runs out and the table says how not).
    const outcome = (run: Run, irs: ReadonlyMap<string, ImageRepositoryJson>, events: ReadonlyArray<EventJson>) => {
      const { expected } = run.input
      if (run.name === undefined) return { done: expected.kind === "rejected", text: `refused by the apiserver: ${run.rejection}` }
      const ir = irs.get(run.name)
      const warnings = events.filter((e) => e.involvedObject.name === run.name && e.type === "Warning")
      if (ir === undefined) return { done: expected.kind === "gone", text: "deleted; nothing left" }
      const state = ir.status?.state
      switch (expected.kind) {
        // A clear status message or Event: both are written, the Event on a best-effort basis.
        case "failed": {
          const event = warnings.find((e) => e.reason === expected.reason)
          const reason = ir.status?.conditions?.find((c) => c.type === "Ready")?.reason
          return {
            done: state === "failed" && reason === expected.reason && (ir.status?.message ?? "") !== "",
            text: `failed (${reason ?? "?"}${event === undefined ? ", no Event" : ", Event"}): ${ir.status?.message ?? ""}`
          }
        }
        case "damaged": {
          const event = warnings.find((e) => e.reason === "StatusDamaged" && e.message.includes(expected.field))
          const putBack = ir.status?.image?.url === `${rig.sim.registryHost}/${organization}/${ns}/${run.name}` &&
            ir.status?.credentials?.["push-secret"] === `${run.name}-image-push` &&
            ir.status?.credentials?.["pull-robot-account"] === undefined &&
            ir.status?.credentials?.["push-robot-account"] !== neighbour.robot
          const message = ir.status?.message ?? ""
          return {
            done: state === "ready" && putBack && (event !== undefined || message.includes(expected.field)),
            text: event === undefined ? `status message (no Event): ${message}` : `StatusDamaged Event: ${event.message}`
          }
        }
        case "confined":
          return {
            done: state === "ready" && (ir.status?.image?.url ?? "").startsWith(`${rig.sim.registryHost}/${organization}/${ns}/`),
            text: `created as ${ir.status?.image?.url ?? "?"} (under the tenant's prefix)`
          }
        default:
          return { done: false, text: `state ${state ?? "none"}: ${ir.status?.message ?? ""}` }
      }
    }
    const observe = async () => {
      const irs = JSON.parse(await kubectl(["get", "imagerepositories", "-n", ns, "-o", "json"])) as {
        readonly items: ReadonlyArray<ImageRepositoryJson>
      }
      const events = JSON.parse(await kubectl(["get", "events", "-n", ns, "-o", "json"])) as { readonly items: ReadonlyArray<EventJson> }
      const byName = new Map(irs.items.map((ir) => [ir.metadata.name, ir] as const))
      return runs.map((run) => ({ run, ...outcome(run, byName, events.items) }))
    }
    let results = await observe()
    const deadline = Date.now() + 90_000
    while (results.some((r) => !r.done) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000))
      results = await observe()
    }

    // Quay: nothing that no legitimate object accounts for.
    const accounted = new Set([
      good?.metadata.uid,
      neighbour.uid,
      ...runs.filter((r) => r.input.expected.kind === "damaged" || r.input.expected.kind === "confined").map((r) => r.uid)
    ].filter((uid) => uid !== undefined))
    const snapshot = rig.sim.model.snapshot()
    const unaccounted = [
      ...snapshot.repositories.filter((r) => ![...accounted].some((uid) => (r.description ?? "").includes(uid))).map((r) => `repository ${r.name}`),
      ...snapshot.robots.filter((r) => ![...accounted].some((uid) => r.description.includes(uid))).map((r) => `robot ${r.shortName}`),
      ...snapshot.repositories.filter((r) => !r.name.startsWith(`${ns}/`) && r.name !== neighbour.repository).map((r) => `outside the tenant: ${r.name}`)
    ]
    const changedOwn = runs.filter((r) => r.input.expected.kind === "damaged" && JSON.stringify(ownedBy(rig, r.uid)) !== JSON.stringify(r.owned))

    const table = results.map(({ run, done, text }) =>
      `${done ? "ok  " : "FAIL"} ${String(run.index).padStart(2)} ${run.input.expected.kind.padEnd(9)} ${run.input.input.padEnd(56).slice(0, 56)} ${text.slice(0, 150)}`
    )
    const kinds = [...new Set(results.map((r) => r.run.input.expected.kind))]
    const counts = kinds.map((kind) => `${kind} ${results.filter((r) => r.run.input.expected.kind === kind).length}`)
    process.stdout.write(`\nbad-input corpus: ${results.length} cases (${counts.join(", ")})\n${table.join("\n")}\n`)

    expect(results.length).toBeGreaterThanOrEqual(60)
    expect(results.filter((r) => !r.done).map((r) => `${r.run.index} ${r.run.input.input}: ${r.text}`)).toEqual([])
    expect(unaccounted).toEqual([])
    expect(changedOwn.map((r) => r.input.input)).toEqual([])
    expect(await neighbourState(rig, neighbour)).toEqual(neighbourBefore)
    expect({
      quay: ownedBy(rig, good?.metadata.uid),
      repository: rig.sim.model.snapshot().repositories.find((r) => r.name === `${ns}/good`),
      secret: (await getJson<SecretJson>("secret", ns, "good-image-push"))?.data
    }).toEqual(goodBefore)
  }, 240_000)

  it("left no robot token and no organization token in its log (json), Events or statuses", async () => {
    // Deletion is part of the run: every object goes first, so the clean-up's log lines are scanned too.
    await kubectl(["delete", "imagerepositories", "--all", "-n", rig.namespace, "--wait=true", "--timeout=60s"])
    const report = await hygieneReport(rig, watch, [rig.namespace, neighbour.namespace])
    expect(report.tokens).toBeGreaterThanOrEqual(10)
    expect(report.lines).toBeGreaterThan(50)
    expect(report.findings).toEqual([])
  })
})
