/**
 * End to end: the operator as a real process, the real apiserver (+ controller-manager), and the Quay
 * simulator over HTTP. The spec's general-purpose examples are applied as YAML with kubectl, as a user would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import {
  applyServiceAccount,
  applyYaml,
  componentLabels,
  getImageRepository as get,
  imageRepository,
  launch,
  mergePatch,
  organization,
  pushAllowed,
  ready,
  type Rig,
  serviceAccountLinks,
  startRig,
  stopRig
} from "./e2e/Rig.ts"

describe("the operator against a real apiserver and the Quay simulator", () => {
  let rig: Rig

  beforeAll(async () => {
    rig = await startRig("main")
  })
  afterAll(async () => {
    await stopRig(rig)
  })

  it("provisions the spec's general-purpose example: ready, documented status, a Secret the registry accepts", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "imagerepository-sample"))
    const ir = await ready(ns, "imagerepository-sample")
    const url = `${rig.sim.registryHost}/${organization}/${ns}/imagerepository-sample`
    expect(ir.status?.image).toEqual({ url, visibility: "public" })
    expect(ir.spec?.image).toEqual({ name: `${ns}/imagerepository-sample`, visibility: "public" })
    expect(ir.status?.credentials?.["push-secret"]).toBe("imagerepository-sample-image-push")
    expect(ir.status?.credentials?.["push-robot-account"]).toMatch(/^e2e_[0-9a-f]{8}_imagerepository_sample_[0-9a-f]{10}$/)
    expect(ir.status?.credentials?.["generationTimestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(ir.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "True",
      observedGeneration: ir.metadata.generation
    })
    const push = await pushAllowed(rig, ns, "imagerepository-sample-image-push", url, `${ns}/imagerepository-sample`)
    expect(push.secret?.type).toBe("kubernetes.io/dockerconfigjson")
    expect(push.secret?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ImageRepository", uid: ir.metadata.uid })
    expect(push.allowed).toBe(true)
    expect(rig.sim.model.snapshot().repositories.find((r) => r.name === `${ns}/imagerepository-sample`)?.visibility).toBe(
      "public"
    )
    // Converged: the events of its own writes come back to the operator and cost no Quay request.
    const settled = rig.sim.model.requestCounts().total
    await new Promise((r) => setTimeout(r, 1500))
    expect(rig.sim.model.requestCounts().total).toBe(settled)
  })

  it("toggles visibility both ways", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "vis"))
    await ready(ns, "vis")
    const quayVisibility = () => rig.sim.model.snapshot().repositories.find((r) => r.name === `${ns}/vis`)?.visibility
    await mergePatch(ns, "vis", { spec: { image: { visibility: "private" } } })
    await ready(ns, "vis", (ir) => ir.status?.image?.visibility === "private")
    expect(quayVisibility()).toBe("private")
    await mergePatch(ns, "vis", { spec: { image: { visibility: "public" } } })
    await ready(ns, "vis", (ir) => ir.status?.image?.visibility === "public")
    expect(quayVisibility()).toBe("public")
  })

  it("keeps the name it was created with: a rename is reverted with a message", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "named", "spec:\n  image:\n    name: my-image\n"))
    await ready(ns, "named")
    await mergePatch(ns, "named", { spec: { image: { name: "renamed" } } })
    const ir = await ready(ns, "named", (i) => i.spec?.image?.name === `${ns}/my-image` && i.status?.message !== undefined)
    expect(ir.status?.message).toContain("cannot be changed after creation")
    expect(ir.status?.image?.url).toBe(`${rig.sim.registryHost}/${organization}/${ns}/my-image`)
  })

  it("regenerate-token: new credentials in the Secret, old ones refused, flag removed, timestamp moved", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "rotate"))
    const before = await ready(ns, "rotate")
    const url = `${rig.sim.registryHost}/${organization}/${ns}/rotate`
    const old = await pushAllowed(rig, ns, "rotate-image-push", url, `${ns}/rotate`)
    await new Promise((r) => setTimeout(r, 1100)) // generationTimestamp has second precision
    await mergePatch(ns, "rotate", { spec: { credentials: { "regenerate-token": true } } })
    const after = await ready(
      ns,
      "rotate",
      (ir) =>
        ir.spec?.credentials?.["regenerate-token"] === undefined &&
        ir.status?.credentials?.["generationTimestamp"] !== before.status?.credentials?.["generationTimestamp"]
    )
    expect(after.status?.credentials?.["push-robot-account"]).toBe(before.status?.credentials?.["push-robot-account"])
    const fresh = await pushAllowed(rig, ns, "rotate-image-push", url, `${ns}/rotate`)
    expect(fresh.allowed).toBe(true)
    expect(fresh.auth).not.toBe(old.auth)
    const [user, oldToken] = [old.auth?.split(":")[0] ?? "", old.auth?.split(":")[1] ?? ""]
    expect(rig.sim.model.authorize(user, oldToken, `${organization}/${ns}/rotate`, "push")).toBe(false)
  })

  it("verify-linking repairs the component repository's pipeline ServiceAccount", async () => {
    const ns = rig.namespace
    await applyServiceAccount(ns, "appstudio-pipeline")
    await applyYaml(imageRepository(ns, "comp-ir", "", componentLabels("comp", "app")))
    await ready(ns, "comp-ir")
    const links = () => serviceAccountLinks(ns, "appstudio-pipeline")
    expect((await links()).secrets).toContain("comp-ir-image-push")
    await kubectl([
      "patch", "serviceaccount", "appstudio-pipeline", "-n", ns, "--type", "merge", "-p",
      JSON.stringify({
        secrets: [{ name: "comp-ir-image-push" }, { name: "other" }, { name: "comp-ir-image-push" }],
        imagePullSecrets: [{ name: "comp-ir-image-push" }]
      })
    ])
    await mergePatch(ns, "comp-ir", { spec: { credentials: { "verify-linking": true } } })
    await ready(ns, "comp-ir", (ir) => ir.spec?.credentials?.["verify-linking"] === undefined)
    expect(await links()).toEqual({ secrets: ["comp-ir-image-push", "other"], pulls: [] })
  })

  it("deletion removes the robot and the repository; the controller-manager collects the Secret", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "gone"))
    const ir = await ready(ns, "gone")
    await kubectl(["delete", "imagerepository", "gone", "-n", ns, "--wait=true", "--timeout=30s"])
    const snapshot = rig.sim.model.snapshot()
    expect(snapshot.repositories.some((r) => r.name === `${ns}/gone`)).toBe(false)
    expect(snapshot.robots.some((r) => r.shortName === ir.status?.credentials?.["push-robot-account"])).toBe(false)
    await eventually("the push Secret collected", async () =>
      (await getJson("secret", ns, "gone-image-push")) === undefined ? true : undefined
    )
  })

  it("private on a free plan: creation fails; a change after creation is reverted with a message", async () => {
    rig.sim.model.setPlan("free")
    try {
      const ns = rig.namespace
      await applyYaml(imageRepository(ns, "priv", "spec:\n  image:\n    visibility: private\n"))
      const failed = await eventually("failed", async () => {
        const ir = await get(ns, "priv")
        return ir?.status?.state === "failed" ? ir : undefined
      })
      expect(failed.status?.message).toBe("Number of private repositories exceeds current quay plan limit")
      const events = JSON.parse(
        await kubectl(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=priv", "-o", "json"])
      ) as { items: Array<{ type: string; reason: string }> }
      expect(events.items.map((e) => [e.type, e.reason])).toContainEqual(["Warning", "PrivateRepositoriesLimit"])
      expect(rig.sim.model.snapshot().repositories.some((r) => r.name === `${ns}/priv`)).toBe(false)

      await applyYaml(imageRepository(ns, "later"))
      await ready(ns, "later")
      await mergePatch(ns, "later", { spec: { image: { visibility: "private" } } })
      // Status (the message) is written before spec (the revert): wait for both.
      const reverted = await ready(ns, "later", (ir) => ir.status?.message !== undefined && ir.spec?.image?.visibility !== "private")
      expect(reverted.spec?.image?.visibility).toBe("public")
      expect(reverted.status?.message).toBe("Quay organization plan private repositories limit exceeded")
    } finally {
      rig.sim.model.setPlan("paid")
    }
  })
})

describe("a restart in the middle of provisioning", () => {
  it("converges without a second robot or repository", async () => {
    // Slow Quay: each request takes 400 ms, so the operator can be killed between its Quay calls.
    const rig = await startRig("restart", { latencyMs: 400 })
    try {
      const ns = rig.namespace
      await applyYaml(imageRepository(ns, "crash"))
      await eventually("the repository created in Quay", async () =>
        rig.sim.model.snapshot().repositories.some((r) => r.name === `${ns}/crash`) ? true : undefined
      )
      await rig.operator.stop("SIGKILL")
      rig.operator = launch("restart-2", rig)
      const ir = await ready(ns, "crash")
      const snapshot = rig.sim.model.snapshot()
      expect(snapshot.repositories.filter((r) => r.name === `${ns}/crash`)).toHaveLength(1)
      expect(snapshot.robots.filter((r) => r.description.includes(ir.metadata.uid))).toHaveLength(1)
      const url = `${rig.sim.registryHost}/${organization}/${ns}/crash`
      expect((await pushAllowed(rig, ns, "crash-image-push", url, `${ns}/crash`)).allowed).toBe(true)
    } finally {
      await stopRig(rig)
    }
  }, 90_000)
})
