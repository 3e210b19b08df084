/**
 * End to end, the spec's "AppStudio Component image repository": the operator as a real process, the real
 * apiserver and controller-manager, and the Quay simulator over HTTP behind a proxy that records when each Quay
 * request starts and ends (the simulator answers each after 300 ms, so requests sent together overlap). The spec's
 * example is applied as YAML with kubectl, as a user would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { canaryRobot } from "../../src/runtime/QuayProbe.ts"
import { measure } from "../support/roundTrips.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { type RecordingProxy, startRecordingProxy } from "./e2e/RecordingProxy.ts"
import {
  applyServiceAccount,
  applyYaml,
  credentialsIn,
  getImageRepository as get,
  imageRepository,
  mergePatch,
  organization,
  ready,
  type Rig,
  type SecretJson,
  serviceAccountLinks,
  startRig,
  stopRig
} from "./e2e/Rig.ts"

const example = "imagerepository-for-component-sample"

/** The spec's example, as written there, in this run's namespace. */
const exampleYaml = (namespace: string) =>
  `apiVersion: appstudio.redhat.com/v1alpha1
kind: ImageRepository
metadata:
  name: ${example}
  namespace: ${namespace}
  labels:
    appstudio.redhat.com/component: my-component
    appstudio.redhat.com/application: my-app
`

const componentYaml = (namespace: string, name: string, component: string, spec = "") =>
  imageRepository(namespace, name, spec).replace(
    `namespace: ${namespace}`,
    `namespace: ${namespace}\n  labels:\n    appstudio.redhat.com/component: ${component}\n    appstudio.redhat.com/application: my-app`
  )

describe("component image repositories against a real apiserver and the Quay simulator", () => {
  let rig: Rig
  let proxy: RecordingProxy

  beforeAll(async () => {
    rig = await startRig("component", {
      latencyMs: 300,
      quayApiUrl: async (sim) => {
        proxy = await startRecordingProxy(sim)
        return proxy.apiUrl
      }
    })
  })
  afterAll(async () => {
    await stopRig(rig)
    await proxy.close()
  })

  /** Whether the simulator's registry accepts the credentials in a Secret for `access` to `repository`, asked over HTTP. */
  const registryAllows = async (secretName: string, imageUrl: string, repository: string, access: "push" | "pull") => {
    const { username, robotToken } = await credentialsIn(rig.namespace, secretName, imageUrl)
    const query = new URLSearchParams({ robot: username, token: robotToken, repo: `${organization}/${repository}`, access })
    const answer = (await (await fetch(`${rig.sim.url}/_sim/auth?${query}`)).json()) as { readonly allowed: boolean }
    return answer.allowed
  }

  it("provisions the spec's example with the status the spec shows, in 2 Quay round trips", async () => {
    const ns = rig.namespace
    // The operator's own requests (the token's self-check, the first Quay probe) are not provisioning's. They wait
    // for its first Quay call: a first object starts them, and they are over before the measured one.
    await applyYaml(imageRepository(ns, "first-use"))
    await ready(ns, "first-use", () => true, 50_000)
    await eventually("the operator's own checks answered", async () =>
      rig.operator.log().includes("the Quay token reaches what the operator needs") &&
        proxy.recorder.events.some((e) => e.type === "end" && e.what.includes(canaryRobot))
        ? true
        : undefined, 50_000)
    proxy.recorder.clear()
    await applyYaml(exampleYaml(ns))
    const ir = await ready(ns, example, () => true, 50_000)
    const repository = `${ns}/my-app/my-component`
    const robotPrefix = `${ns.replace(/-/g, "_")}_imagerepository_for_component_sample_[0-9a-f]{10}`
    expect(ir.spec?.image).toEqual({ name: repository, visibility: "public" })
    expect(ir.status?.state).toBe("ready")
    expect(ir.status?.message).toBeUndefined()
    expect(ir.status?.image).toEqual({ url: `${proxy.registryHost}/${organization}/${repository}`, visibility: "public" })
    expect(ir.status?.credentials).toEqual({
      generationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      "push-robot-account": expect.stringMatching(new RegExp(`^${robotPrefix}$`)),
      "push-secret": `${example}-image-push`,
      "pull-robot-account": expect.stringMatching(new RegExp(`^${robotPrefix}_pull$`)),
      "pull-secret": `${example}-image-pull`
    })
    expect(ir.status?.component).toEqual({ name: "my-component", application: "my-app" })

    // Converged (its own events cost no Quay request): then the whole provisioning is on record.
    const settled = rig.sim.model.requestCounts().total
    await new Promise((r) => setTimeout(r, 1500))
    expect(rig.sim.model.requestCounts().total).toBe(settled)
    const measured = measure(proxy.recorder.events)
    expect(measured.requests).toBe(5)
    expect(measured.criticalPath).toBe(2)
    expect(measured.maxInFlight).toBe(3)
    expect(measured.rounds.map((round) => round.map((what) => what.split(" ")[0]).sort())).toEqual([
      ["POST", "PUT", "PUT"], // the repository and both robots
      ["PUT", "PUT"] // both grants
    ])
  })

  it("writes a push Secret that pushes and a pull Secret that only pulls, both owned by the object", async () => {
    const ns = rig.namespace
    // Private, so pulling needs the credentials.
    await applyYaml(componentYaml(ns, "auth", "auth-component", "spec:\n  image:\n    visibility: private\n"))
    const ir = await ready(ns, "auth")
    const url = ir.status?.image?.url ?? ""
    const repository = `${ns}/my-app/auth-component`
    expect(url).toBe(`${proxy.registryHost}/${organization}/${repository}`)
    for (const name of ["auth-image-push", "auth-image-pull"]) {
      const secret = await getJson<SecretJson>("secret", ns, name)
      expect(secret?.type).toBe("kubernetes.io/dockerconfigjson")
      expect(secret?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ImageRepository", uid: ir.metadata.uid })
    }
    expect(await registryAllows("auth-image-push", url, repository, "push")).toBe(true)
    expect(await registryAllows("auth-image-pull", url, repository, "pull")).toBe(true)
    expect(await registryAllows("auth-image-pull", url, repository, "push")).toBe(false)

    // regenerate-token rotates both robots: both Secrets still work, the old pull token no longer does.
    const oldPull = await credentialsIn(ns, "auth-image-pull", url)
    await mergePatch(ns, "auth", { spec: { credentials: { "regenerate-token": true } } })
    await ready(ns, "auth", (i) => i.spec?.credentials?.["regenerate-token"] === undefined)
    const newPull = await credentialsIn(ns, "auth-image-pull", url)
    expect(newPull.robotToken).not.toBe(oldPull.robotToken)
    expect(rig.sim.model.authorize(oldPull.username, oldPull.robotToken, `${organization}/${repository}`, "pull")).toBe(false)
    expect(await registryAllows("auth-image-pull", url, repository, "pull")).toBe(true)
    expect(await registryAllows("auth-image-push", url, repository, "push")).toBe(true)
  })

  it("links the push Secret to the pipeline ServiceAccount's secrets once the account appears, never delaying readiness", async () => {
    const ns = rig.namespace
    await applyYaml(componentYaml(ns, "linked", "linked-component"))
    const ir = await ready(ns, "linked")
    expect(ir.status?.message).toBeUndefined()
    expect(await getJson("serviceaccount", ns, "appstudio-pipeline")).toBeUndefined()
    // The account appears: the operator's ServiceAccount watch wakes the object, which links its push Secret.
    await applyServiceAccount(ns, "appstudio-pipeline")
    const links = await eventually("the push Secret linked", async () => {
      const found = await serviceAccountLinks(ns, "appstudio-pipeline")
      return found.secrets.includes("linked-image-push") ? found : undefined
    })
    expect(links.pulls).toEqual([])
    expect(links.secrets).not.toContain("linked-image-pull")
  })

  it("ignores the labels when they are added after creation", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "plain"))
    const before = await ready(ns, "plain")
    await kubectl([
      "label", "imagerepository", "plain", "-n", ns,
      "appstudio.redhat.com/component=late", "appstudio.redhat.com/application=my-app"
    ])
    // verify-linking in the same breath: once it is cleared, the operator has seen the labels.
    await mergePatch(ns, "plain", { spec: { credentials: { "verify-linking": true } } })
    const after = await ready(ns, "plain", (ir) => ir.spec?.credentials?.["verify-linking"] === undefined)
    expect(after.metadata.labels?.["appstudio.redhat.com/component"]).toBe("late")
    expect(after.status?.component).toBeUndefined()
    expect(after.status?.credentials).toEqual(before.status?.credentials)
    expect(after.status?.image).toEqual(before.status?.image)
    expect(await getJson("secret", ns, "plain-image-pull")).toBeUndefined()
    expect((await serviceAccountLinks(ns, "appstudio-pipeline")).secrets).not.toContain("plain-image-push")
  })

  it("deletion removes both robots and the repository; the controller-manager collects both Secrets", async () => {
    const ns = rig.namespace
    await applyYaml(componentYaml(ns, "gone", "gone-component"))
    const ir = await ready(ns, "gone")
    const robots = [ir.status?.credentials?.["push-robot-account"], ir.status?.credentials?.["pull-robot-account"]]
    expect(rig.sim.model.snapshot().robots.filter((r) => robots.includes(r.shortName))).toHaveLength(2)
    await kubectl(["delete", "imagerepository", "gone", "-n", ns, "--wait=true", "--timeout=30s"])
    const snapshot = rig.sim.model.snapshot()
    expect(snapshot.repositories.some((r) => r.name === `${ns}/my-app/gone-component`)).toBe(false)
    expect(snapshot.robots.filter((r) => robots.includes(r.shortName))).toEqual([])
    await eventually("both Secrets collected", async () =>
      (await getJson("secret", ns, "gone-image-push")) === undefined &&
        (await getJson("secret", ns, "gone-image-pull")) === undefined
        ? true
        : undefined)
    expect(await get(ns, "gone")).toBeUndefined()
  })
})
