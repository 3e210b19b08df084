/**
 * End to end, the spec's "Legacy (deprecated) Component image repository" section: the operator as a real
 * process, the real apiserver (+ controller-manager) with config/crd/component's Component CRD, and the Quay
 * simulator over HTTP. Components are applied as YAML with kubectl, as the spec shows them.
 */
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { applyYaml, organization, type Rig, type SecretJson, startRig, stopRig } from "./e2e/Rig.ts"

interface ComponentJson {
  readonly metadata: {
    readonly uid: string
    readonly annotations?: Record<string, string>
    readonly finalizers?: ReadonlyArray<string>
  }
}

const generate = "image.redhat.com/generate"
const image = "image.redhat.com/image"
const privateRefused = "Quay organization plan doesn't allow private image repositories"

/** The spec's example Component, in the test's namespace, with these annotations. */
const component = (namespace: string, name: string, annotations: Record<string, string>) =>
  `apiVersion: appstudio.redhat.com/v1alpha1
kind: Component
metadata:
  annotations:
${Object.entries(annotations).map(([key, value]) => `    ${key}: '${value}'`).join("\n")}
  name: ${name}
  namespace: ${namespace}
spec:
  application: city-transit
  componentName: ${name}
`

const getComponent = (namespace: string, name: string) => getJson<ComponentJson>("component", namespace, name)

/** The Component once its request is answered: the generate annotation gone (or never there) and an answer written. */
const answered = (namespace: string, name: string, also: (c: ComponentJson) => boolean = () => true) =>
  eventually(`${namespace}/${name} answered`, async () => {
    const found = await getComponent(namespace, name)
    const annotations = found?.metadata.annotations ?? {}
    return found !== undefined && annotations[generate] === undefined && annotations[image] !== undefined && also(found)
      ? found
      : undefined
  })

const annotate = (namespace: string, name: string, annotations: Record<string, string | null>) =>
  kubectl(["patch", "component", name, "-n", namespace, "--type", "merge", "-p", JSON.stringify({ metadata: { annotations } })])

/** Asks the simulator's registry, over HTTP as a client would, whether the Secret's credentials may `access` the repository. */
const registryAllows = async (rig: Rig, namespace: string, secretName: string, imagePath: string, access: "push" | "pull") => {
  const secret = await getJson<SecretJson>("secret", namespace, secretName)
  if (secret === undefined) return { secret, allowed: false }
  const document = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"] ?? "", "base64").toString())
  const auth = Buffer.from(document.auths[imagePath]?.auth ?? "", "base64").toString()
  const query = new URLSearchParams({
    robot: auth.slice(0, auth.indexOf(":")),
    token: auth.slice(auth.indexOf(":") + 1),
    repo: imagePath.slice(imagePath.indexOf("/") + 1),
    access
  })
  const answer = (await (await fetch(`${rig.sim.url}/_sim/auth?${query.toString()}`)).json()) as { allowed: boolean }
  return { secret, allowed: answer.allowed }
}

describe("the legacy Component flow against a real apiserver and the Quay simulator", () => {
  let rig: Rig

  beforeAll(async () => {
    // A cluster started before the Component CRD was part of the test control plane gets it here (idempotent).
    await kubectl(["apply", "-k", Path.join(projectRoot, "config", "crd", "component")])
    rig = await startRig("legacy")
  })
  afterAll(async () => {
    // Components first, while their operator still runs, so finalizers are released.
    await kubectl(["delete", "components", "--all", "-n", rig.namespace, "--wait=true", "--timeout=60s"])
    await stopRig(rig)
  })

  const quayRepository = (repository: string) => rig.sim.model.snapshot().repositories.find((r) => r.name === repository)

  it("the spec's example: the repository, the answer JSON as the spec shows it, the request removed, a Secret that pushes", async () => {
    const ns = rig.namespace
    await applyYaml(component(ns, "billing", { [generate]: '{"visibility": "public"}' }))
    const served = await answered(ns, "billing")
    const url = `${rig.sim.registryHost}/${organization}/${ns}/city-transit/billing`
    expect(served.metadata.annotations?.[image]).toBe(`{"image":"${url}","visibility":"public","secret":"billing"}`)
    expect(served.metadata.finalizers).toContain("image-controller.appstudio.openshift.io/image-repository")
    expect(quayRepository(`${ns}/city-transit/billing`)?.visibility).toBe("public")

    const push = await registryAllows(rig, ns, "billing", url, "push")
    expect(push.secret?.type).toBe("kubernetes.io/dockerconfigjson")
    expect(push.secret?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Component", uid: served.metadata.uid })
    ])
    expect(push.allowed).toBe(true)
    // Push and pull robots, both marked as the Component's.
    const grants = rig.sim.model.snapshot().permissions.filter((p) => p.repository === `${ns}/city-transit/billing` && p.username.includes("+"))
    expect(grants.map((g) => g.role).sort()).toEqual(["read", "write"])
    const robots = rig.sim.model.snapshot().robots.filter((r) => r.description.includes(`(uid ${served.metadata.uid})`))
    expect(robots.map((r) => r.shortName.endsWith("_pull")).sort()).toEqual([false, true])

    // Converged: the events of its own writes come back to the operator and cost no Quay request.
    const settled = rig.sim.model.requestCounts().total
    await new Promise((r) => setTimeout(r, 1500))
    expect(rig.sim.model.requestCounts().total).toBe(settled)
  })

  it("toggling the visibility in the request toggles the repository's, both ways", async () => {
    const ns = rig.namespace
    await applyYaml(component(ns, "toggle", { [generate]: "true" }))
    await answered(ns, "toggle")
    await annotate(ns, "toggle", { [generate]: '{"visibility": "private"}' })
    const hidden = await answered(ns, "toggle", (c) => c.metadata.annotations?.[image]?.includes('"private"') === true)
    expect(JSON.parse(hidden.metadata.annotations?.[image] ?? "{}")).toMatchObject({ visibility: "private", secret: "toggle" })
    expect(quayRepository(`${ns}/city-transit/toggle`)?.visibility).toBe("private")
    await annotate(ns, "toggle", { [generate]: '{"visibility": "public"}' })
    await answered(ns, "toggle", (c) => c.metadata.annotations?.[image]?.includes('"public"') === true)
    expect(quayRepository(`${ns}/city-transit/toggle`)?.visibility).toBe("public")
  })

  it("generate 'false' next to an answer (the spec's Verify example) is left as it is, at no Quay cost", async () => {
    const ns = rig.namespace
    const answer = `{"image":"${rig.sim.registryHost}/${organization}/${ns}/city-transit/verify","visibility":"public","secret":"verify"}`
    const before = rig.sim.model.requestCounts().total
    await applyYaml(component(ns, "verify", { [generate]: "false", [image]: answer }))
    // The operator has looked at it once it holds the finalizer it keeps on a Component with an answer.
    const seen = await eventually("verify looked at", async () => {
      const found = await getComponent(ns, "verify")
      return (found?.metadata.finalizers ?? []).length > 0 ? found : undefined
    })
    expect(seen.metadata.annotations?.[generate]).toBe("false")
    expect(seen.metadata.annotations?.[image]).toBe(answer)
    expect(rig.sim.model.requestCounts().total).toBe(before)
  })

  it("malformed JSON or an unknown visibility: a clear message, nothing created", async () => {
    const ns = rig.namespace
    await applyYaml(component(ns, "garbled", { [generate]: "{visibility: public" }))
    await applyYaml(component(ns, "internal", { [generate]: '{"visibility": "internal"}' }))
    const garbled = await answered(ns, "garbled")
    const internal = await answered(ns, "internal")
    expect(JSON.parse(garbled.metadata.annotations?.[image] ?? "{}")).toEqual({
      message: `invalid JSON in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`
    })
    expect(JSON.parse(internal.metadata.annotations?.[image] ?? "{}")).toEqual({
      message: `invalid value: internal in visibility field in ${generate} annotation: expected '{"visibility": "public"}' or '{"visibility": "private"}'`
    })
    expect(quayRepository(`${ns}/city-transit/garbled`)).toBeUndefined()
    expect(quayRepository(`${ns}/city-transit/internal`)).toBeUndefined()
    expect(await getJson("secret", ns, "garbled")).toBeUndefined()
    expect(garbled.metadata.finalizers ?? []).toEqual([])
  })

  it("image.redhat.com/delete-image-repo: the repository and robots go with the Component; without it only the robots", async () => {
    const ns = rig.namespace
    await applyYaml(component(ns, "doomed", { [generate]: "true", "image.redhat.com/delete-image-repo": "true" }))
    await applyYaml(component(ns, "kept", { [generate]: "true" }))
    const doomed = await answered(ns, "doomed")
    const kept = await answered(ns, "kept")
    await kubectl(["delete", "component", "doomed", "kept", "-n", ns, "--wait=true", "--timeout=30s"])
    const snapshot = rig.sim.model.snapshot()
    expect(snapshot.repositories.some((r) => r.name === `${ns}/city-transit/doomed`)).toBe(false)
    expect(snapshot.repositories.some((r) => r.name === `${ns}/city-transit/kept`)).toBe(true)
    for (const uid of [doomed.metadata.uid, kept.metadata.uid]) {
      expect(snapshot.robots.filter((r) => r.description.includes(`(uid ${uid})`))).toEqual([])
    }
    // The controller-manager's garbage collector takes the push Secrets with their Components.
    await eventually("the push Secrets collected", async () =>
      (await getJson("secret", ns, "doomed")) === undefined && (await getJson("secret", ns, "kept")) === undefined
        ? true
        : undefined)
  })

  it("a private request on a free plan: the error in the answer's message, the repository absent or still public", async () => {
    rig.sim.model.setPlan("free")
    try {
      const ns = rig.namespace
      await applyYaml(component(ns, "secretive", { [generate]: '{"visibility": "private"}' }))
      const refused = await answered(ns, "secretive")
      expect(JSON.parse(refused.metadata.annotations?.[image] ?? "{}")).toEqual({ message: privateRefused })
      expect(quayRepository(`${ns}/city-transit/secretive`)).toBeUndefined()
      const events = JSON.parse(
        await kubectl(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=secretive", "-o", "json"])
      ) as { items: Array<{ type: string; reason: string }> }
      expect(events.items.map((e) => [e.type, e.reason])).toContainEqual(["Warning", "PrivateRepositoriesLimit"])

      await applyYaml(component(ns, "open", { [generate]: '{"visibility": "public"}' }))
      await answered(ns, "open")
      await annotate(ns, "open", { [generate]: '{"visibility": "private"}' })
      const stillPublic = await answered(ns, "open", (c) => c.metadata.annotations?.[image]?.includes("message") === true)
      expect(JSON.parse(stillPublic.metadata.annotations?.[image] ?? "{}")).toEqual({
        image: `${rig.sim.registryHost}/${organization}/${ns}/city-transit/open`,
        visibility: "public",
        secret: "open",
        message: privateRefused
      })
      expect(quayRepository(`${ns}/city-transit/open`)?.visibility).toBe("public")
    } finally {
      rig.sim.model.setPlan("paid")
    }
  })
})
