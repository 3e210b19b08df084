/**
 * End to end (issue 14): spec.notifications of an ImageRepository applied with kubectl reach the Quay simulator's
 * repository notifications over HTTP, and status.notifications records them; a changed URL replaces the
 * notification; the CRD keeps the fields (no pruning).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventually, kubectl } from "./e2e/kubectl.ts"
import { applyYaml, imageRepository, mergePatch, ready, type Rig, startRig, stopRig } from "./e2e/Rig.ts"

interface Recorded {
  readonly title?: string
  readonly uuid?: string
}

const notificationsOf = (ir: unknown): ReadonlyArray<Recorded> =>
  (ir as { status?: { notifications?: ReadonlyArray<Recorded> } }).status?.notifications ?? []

describe("notifications against a real apiserver and the Quay simulator", () => {
  let rig: Rig

  beforeAll(async () => {
    rig = await startRig("notify")
  })
  afterAll(async () => {
    await stopRig(rig)
  })

  it("an ImageRepository with notifications gets them in Quay, status.notifications filled, and a URL change replaces one", async () => {
    const ns = rig.namespace
    const repository = `${ns}/notified`
    await applyYaml(
      imageRepository(
        ns,
        "notified",
        `spec:
  notifications:
    - title: build
      event: repo_push
      method: webhook
      config:
        url: https://ci.example/hook
`
      )
    )
    // The first wait includes the operator's start (slow on a loaded machine).
    const ir = await ready(ns, "notified", (i) => notificationsOf(i).length === 1, 120_000)
    const inQuay = () => rig.sim.model.snapshot().notifications.filter((n) => n.repository === repository)
    expect(inQuay().map((n) => [n.title, n.event, n.method, n.config])).toEqual([
      ["build", "repo_push", "webhook", { url: "https://ci.example/hook" }]
    ])
    expect(notificationsOf(ir).map((n) => [n.title, n.uuid])).toEqual([["build", inQuay()[0]?.uuid]])
    // The CRD keeps what the user wrote.
    const spec = JSON.parse(await kubectl(["get", "imagerepository", "notified", "-n", ns, "-o", "jsonpath={.spec.notifications}"]))
    expect(spec).toEqual([{ title: "build", event: "repo_push", method: "webhook", config: { url: "https://ci.example/hook" } }])

    const before = notificationsOf(ir)[0]?.uuid
    await mergePatch(ns, "notified", {
      spec: { notifications: [{ title: "build", event: "repo_push", method: "webhook", config: { url: "https://ci.example/v2" } }] }
    })
    const changed = await ready(ns, "notified", (i) => notificationsOf(i)[0]?.uuid !== before)
    await eventually("the old notification gone", async () => (inQuay().length === 1 ? true : undefined))
    expect(inQuay().map((n) => [n.uuid, n.config])).toEqual([[notificationsOf(changed)[0]?.uuid, { url: "https://ci.example/v2" }]])

    // Converged: no further Quay request.
    const settled = rig.sim.model.requestCounts().total
    await new Promise((r) => setTimeout(r, 1500))
    expect(rig.sim.model.requestCounts().total).toBe(settled)
  }, 240_000)

  it("the CRD refuses a method the original's CRD refuses", async () => {
    const ns = rig.namespace
    const refused = await applyYaml(
      imageRepository(ns, "refused", "spec:\n  notifications:\n    - title: t\n      event: repo_push\n      method: sms\n")
    ).then(() => "accepted", (error: unknown) => String(error))
    expect(refused).toContain("Unsupported value")
  })
})
