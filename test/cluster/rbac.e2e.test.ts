/**
 * Least privilege, end to end: the operator runs as a real process with a token of config/rbac's ServiceAccount
 * (TokenRequest API), not the admin's kubeconfig, and still provisions, repairs, rotates, verifies links, reports
 * a damaged status and cleans up. The identity is checked to have exactly the verbs the manifests list.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { hygieneReport, type TokenWatch, watchTokens } from "./e2e/Hygiene.ts"
import { operatorCan, operatorKubeconfig, operatorNamespace, installRbac } from "./e2e/OperatorIdentity.ts"
import {
  applyServiceAccount,
  applyYaml,
  componentLabels,
  imageRepository,
  mergePatch,
  organization,
  pushAllowed,
  ready,
  type Rig,
  serviceAccountLinks,
  startRig,
  stopRig
} from "./e2e/Rig.ts"

describe("the operator with config/rbac's identity", () => {
  let rig: Rig
  let kubeconfig: string
  let watch: TokenWatch

  beforeAll(async () => {
    await installRbac()
    kubeconfig = await operatorKubeconfig()
    rig = await startRig("rbac", { kubeconfig, leaseNamespace: operatorNamespace })
    watch = watchTokens(rig)
  })
  afterAll(async () => {
    watch.stop()
    await stopRig(rig)
    Fs.rmSync(kubeconfig, { force: true })
  })

  it("has the verbs config/rbac lists, and not the ones it leaves out", async () => {
    const ns = rig.namespace
    const allowed = async (checks: ReadonlyArray<readonly [string, string, string?]>) =>
      Promise.all(checks.map(async ([verb, resource, namespace]) => [verb, resource, await operatorCan(verb, resource, namespace ?? ns)]))
    expect(await allowed([
      ["patch", "imagerepositories.appstudio.redhat.com"],
      ["patch", "imagerepositories.appstudio.redhat.com/status"],
      ["list", "secrets"],
      ["create", "secrets"],
      ["delete", "secrets"],
      ["patch", "serviceaccounts"],
      ["create", "events.events.k8s.io"],
      ["patch", "events.events.k8s.io"],
      ["update", "leases", operatorNamespace],
      ["watch", "components.appstudio.redhat.com"],
      ["patch", "components.appstudio.redhat.com"],
      ["update", "components.appstudio.redhat.com/finalizers"],
      ["create", "remotesecrets.appstudio.redhat.com"],
      ["patch", "remotesecrets.appstudio.redhat.com"],
      ["delete", "remotesecrets.appstudio.redhat.com"],
      ["watch", "remotesecrets.appstudio.redhat.com"],
      ["list", "environments.appstudio.redhat.com"],
      ["watch", "environments.appstudio.redhat.com"],
      ["watch", "imagerepositories.konflux-ci.dev"],
      ["patch", "imagerepositories.konflux-ci.dev"],
      ["patch", "imagerepositories.konflux-ci.dev/status"],
      ["update", "imagerepositories.konflux-ci.dev/finalizers"],
      ["get", "namespaces"]
    ])).toEqual([
      ["patch", "imagerepositories.appstudio.redhat.com", true],
      ["patch", "imagerepositories.appstudio.redhat.com/status", true],
      ["list", "secrets", true],
      ["create", "secrets", true],
      ["delete", "secrets", true],
      ["patch", "serviceaccounts", true],
      ["create", "events.events.k8s.io", true],
      ["patch", "events.events.k8s.io", true],
      ["update", "leases", true],
      ["watch", "components.appstudio.redhat.com", true],
      ["patch", "components.appstudio.redhat.com", true],
      ["update", "components.appstudio.redhat.com/finalizers", true],
      ["create", "remotesecrets.appstudio.redhat.com", true],
      ["patch", "remotesecrets.appstudio.redhat.com", true],
      ["delete", "remotesecrets.appstudio.redhat.com", true],
      ["watch", "remotesecrets.appstudio.redhat.com", true],
      ["list", "environments.appstudio.redhat.com", true],
      ["watch", "environments.appstudio.redhat.com", true],
      ["watch", "imagerepositories.konflux-ci.dev", true],
      ["patch", "imagerepositories.konflux-ci.dev", true],
      ["patch", "imagerepositories.konflux-ci.dev/status", true],
      ["update", "imagerepositories.konflux-ci.dev/finalizers", true],
      ["get", "namespaces", true]
    ])
    expect(await allowed([
      ["update", "secrets"],
      ["update", "serviceaccounts"],
      ["update", "imagerepositories.appstudio.redhat.com"],
      ["delete", "imagerepositories.appstudio.redhat.com"],
      ["create", "imagerepositories.appstudio.redhat.com"],
      ["create", "events"],
      ["patch", "events"],
      ["get", "leases"],
      ["delete", "leases", operatorNamespace],
      ["create", "serviceaccounts"],
      ["get", "configmaps"],
      ["create", "namespaces"],
      ["update", "components.appstudio.redhat.com"],
      ["create", "components.appstudio.redhat.com"],
      ["delete", "components.appstudio.redhat.com"],
      ["patch", "components.appstudio.redhat.com/status"],
      ["update", "remotesecrets.appstudio.redhat.com"],
      ["patch", "remotesecrets.appstudio.redhat.com/status"],
      ["get", "environments.appstudio.redhat.com"],
      ["patch", "environments.appstudio.redhat.com"],
      ["update", "imagerepositories.konflux-ci.dev"],
      ["create", "imagerepositories.konflux-ci.dev"],
      ["delete", "imagerepositories.konflux-ci.dev"],
      ["list", "namespaces"],
      ["patch", "namespaces"]
    ])).toEqual([
      ["update", "secrets", false],
      ["update", "serviceaccounts", false],
      ["update", "imagerepositories.appstudio.redhat.com", false],
      ["delete", "imagerepositories.appstudio.redhat.com", false],
      ["create", "imagerepositories.appstudio.redhat.com", false],
      ["create", "events", false],
      ["patch", "events", false],
      ["get", "leases", false],
      ["delete", "leases", false],
      ["create", "serviceaccounts", false],
      ["get", "configmaps", false],
      ["create", "namespaces", false],
      ["update", "components.appstudio.redhat.com", false],
      ["create", "components.appstudio.redhat.com", false],
      ["delete", "components.appstudio.redhat.com", false],
      ["patch", "components.appstudio.redhat.com/status", false],
      ["update", "remotesecrets.appstudio.redhat.com", false],
      ["patch", "remotesecrets.appstudio.redhat.com/status", false],
      ["get", "environments.appstudio.redhat.com", false],
      ["patch", "environments.appstudio.redhat.com", false],
      ["update", "imagerepositories.konflux-ci.dev", false],
      ["create", "imagerepositories.konflux-ci.dev", false],
      ["delete", "imagerepositories.konflux-ci.dev", false],
      ["list", "namespaces", false],
      ["patch", "namespaces", false]
    ])
  })

  it("provisions, restores a deleted Secret, rotates, verifies links, reports a damaged status, cleans up", async () => {
    const ns = rig.namespace
    await applyServiceAccount(ns, "appstudio-pipeline")
    // A component repository (a pull robot too), named as a general-purpose one so its URL is `<ns>/least`.
    await applyYaml(imageRepository(ns, "least", "spec:\n  image:\n    name: least\n", componentLabels("comp", "app")))
    const provisioned = await ready(ns, "least")
    const url = `${rig.sim.registryHost}/${organization}/${ns}/least`
    const first = await pushAllowed(rig, ns, "least-image-push", url, `${ns}/least`)
    expect(first.allowed).toBe(true)
    const links = async () => (await serviceAccountLinks(ns, "appstudio-pipeline")).secrets
    expect(await links()).toEqual(["least-image-push"])

    // A deleted Secret comes back with the same credentials (the informer on the operator's Secrets sees it go).
    await kubectl(["delete", "secret", "least-image-push", "-n", ns])
    const restored = await eventually("the push Secret restored", async () => {
      const push = await pushAllowed(rig, ns, "least-image-push", url, `${ns}/least`)
      return push.allowed ? push : undefined
    })
    expect(restored.auth).toBe(first.auth)

    await new Promise((r) => setTimeout(r, 1100)) // generationTimestamp has second precision
    await mergePatch(ns, "least", { spec: { credentials: { "regenerate-token": true, "verify-linking": true } } })
    await ready(
      ns,
      "least",
      (ir) =>
        ir.spec?.credentials?.["regenerate-token"] === undefined &&
        ir.spec?.credentials?.["verify-linking"] === undefined &&
        ir.status?.credentials?.["generationTimestamp"] !== provisioned.status?.credentials?.["generationTimestamp"]
    )
    const rotated = await eventually("the rotated token in the Secret", async () => {
      const push = await pushAllowed(rig, ns, "least-image-push", url, `${ns}/least`)
      return push.allowed && push.auth !== first.auth ? push : undefined
    })
    expect(rotated.allowed).toBe(true)
    const [user, oldToken] = [first.auth?.split(":")[0] ?? "", first.auth?.split(":")[1] ?? ""]
    expect(rig.sim.model.authorize(user, oldToken, `${organization}/${ns}/least`, "push")).toBe(false)

    // A status naming a robot that is not this object's: a Warning Event, the field put back.
    await kubectl([
      "patch", "imagerepository", "least", "-n", ns, "--subresource", "status", "--type", "merge", "-p",
      JSON.stringify({ status: { credentials: { "push-robot-account": "someone_else_0123456789" } } })
    ])
    await ready(ns, "least", (ir) => ir.status?.credentials?.["push-robot-account"] === provisioned.status?.credentials?.["push-robot-account"])
    const events = JSON.parse(
      await kubectl(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=least", "-o", "json"])
    ) as { items: Array<{ type: string; reason: string }> }
    expect(events.items.map((e) => [e.type, e.reason])).toContainEqual(["Warning", "StatusDamaged"])

    await kubectl(["delete", "imagerepository", "least", "-n", ns, "--wait=true", "--timeout=30s"])
    const snapshot = rig.sim.model.snapshot()
    expect(snapshot.repositories.filter((r) => r.name.startsWith(`${ns}/`))).toEqual([])
    expect(snapshot.robots.filter((r) => r.description.includes(provisioned.metadata.uid))).toEqual([])
    expect(await links()).toEqual([])
    await eventually("the push Secret collected", async () =>
      (await getJson("secret", ns, "least-image-push")) === undefined ? true : undefined
    )
    // Nothing it tried was refused.
    expect(rig.operator.log().split("\n").filter((line) => /forbidden|\b403\b/i.test(line))).toEqual([])
  }, 120_000)

  it("left no robot token and no organization token in its log (pretty), Events or statuses", async () => {
    const report = await hygieneReport(rig, watch, [rig.namespace])
    expect(report.tokens).toBeGreaterThanOrEqual(2)
    expect(report.lines).toBeGreaterThan(5)
    expect(report.findings).toEqual([])
  })

  it("serves a legacy Component's generate request and its deletion", async () => {
    const ns = rig.namespace
    await kubectl(["apply", "-k", Path.join(projectRoot, "config", "crd", "component")])
    await applyYaml(`apiVersion: appstudio.redhat.com/v1alpha1
kind: Component
metadata:
  name: legacy
  namespace: ${ns}
  annotations:
    image.redhat.com/generate: '{"visibility": "public"}'
    image.redhat.com/delete-image-repo: "true"
spec:
  application: app
  componentName: legacy
`)
    const url = `${rig.sim.registryHost}/${organization}/${ns}/app/legacy`
    await eventually("the Component answered", async () => {
      const found = await getJson<{ metadata: { annotations?: Record<string, string> } }>("component", ns, "legacy")
      return found?.metadata.annotations?.["image.redhat.com/image"] === `{"image":"${url}","visibility":"public","secret":"legacy"}`
        ? true
        : undefined
    })
    expect((await pushAllowed(rig, ns, "legacy", url, `${ns}/app/legacy`)).allowed).toBe(true)
    await kubectl(["delete", "component", "legacy", "-n", ns, "--wait=true", "--timeout=30s"])
    expect(rig.sim.model.snapshot().repositories.filter((r) => r.name.startsWith(`${ns}/app/`))).toEqual([])
    expect(rig.operator.log().split("\n").filter((line) => /forbidden|\b403\b/i.test(line))).toEqual([])
  }, 60_000)
})
