/**
 * Taking over from the original controller, end to end: on a control plane of its own (the CRDs are switched
 * there, which must not happen under other test files' objects), the original's CRDs (test/fixtures/original),
 * objects of both API groups written exactly as the original writes them, general-purpose and component ones with
 * notifications, and Quay as the original leaves it (seeded through Quay's API on the simulator). Then the switch
 * to our CRDs, nothing lost; this operator adopts every object with no Quay request; each feature works on them;
 * deleting each removes what the original created for it, and nothing shared or anyone else's.
 */
import * as Path from "node:path"
import { randomBytes } from "node:crypto"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ControlPlane from "../../src/cluster/ControlPlane.ts"
import { canaryRobot } from "../../src/runtime/QuayProbe.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { eventually, kubectlAt } from "./e2e/kubectl.ts"
import { type OperatorProcess, startOperator } from "./e2e/OperatorProcess.ts"
import * as Original from "./e2e/OriginalController.ts"
import { type RecordingProxy, startRecordingProxy } from "./e2e/RecordingProxy.ts"

const organization = "mig-org"
const stateDir = `${process.env["CLUSTER_STATE_DIR"] ?? Path.join(ControlPlane.projectRoot, ".local", "cluster")}-migration`

const objects: ReadonlyArray<Original.OriginalObject> = [
  { group: "appstudio.redhat.com", name: "general" },
  { group: "appstudio.redhat.com", name: "imagerepository-for-billing", component: { name: "billing", application: "shop" } },
  { group: "konflux-ci.dev", name: "newer", annotations: { [Original.skipDeletionAnnotation]: "true" } },
  { group: "konflux-ci.dev", name: "payments-image", component: { name: "payments", application: "shop" } }
]

type Json = { readonly [key: string]: unknown }

/** The value at a path of keys inside parsed JSON (undefined where it stops). */
const at = (value: unknown, ...path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((node, key) => (typeof node === "object" && node !== null ? (node as Json)[key] : undefined), value)
const text = (value: unknown, ...path: ReadonlyArray<string>): string => {
  const found = at(value, ...path)
  return typeof found === "string" ? found : ""
}

let kubeconfig = ""
const kubectl = (args: ReadonlyArray<string>, input?: string): Promise<string> => kubectlAt(kubeconfig, args, input)
const apply = (object: unknown) => kubectl(["apply", "-f", "-"], JSON.stringify(object))
const getJson = async (kind: string, name: string, namespace?: string): Promise<Json | undefined> => {
  try {
    return JSON.parse(await kubectl(["get", kind, name, ...(namespace === undefined ? [] : ["-n", namespace]), "-o", "json"])) as Json
  } catch (error) {
    if (error instanceof Error && error.message.includes("NotFound")) return undefined
    throw error
  }
}
const resource = (object: Original.OriginalObject) => `imagerepositories.${object.group}`

/** Every ImageRepository as the apiserver returns it now, by group/name. */
const snapshotObjects = async (namespace: string) => {
  const entries = await Promise.all(objects.map(async (o) => [`${o.group}/${o.name}`, await getJson(resource(o), o.name, namespace)] as const))
  return new Map(entries)
}

const installCrds = async (source: readonly ["-f" | "-k", string]) => {
  await kubectl(["apply", ...source])
  for (const group of ["appstudio.redhat.com", "konflux-ci.dev"]) {
    await kubectl(["wait", "--for=condition=Established", `crd/imagerepositories.${group}`, "--timeout=60s"])
  }
}

/**
 * The one place that checks the notification fields across the switch: kept when our CRD declares them (repository
 * notifications, built on branch h-notify), and otherwise the only fields the switch drops.
 */
const expectNotificationsAcrossSwitch = (before: Json, after: Json) => {
  expect(at(before, "spec", "notifications")).toEqual(Original.notificationsSpec)
  expect(at(before, "status", "notifications")).toEqual(Original.notificationsStatus)
  expect(at(after, "spec", "notifications")).toEqual(at(before, "spec", "notifications"))
  expect(at(after, "status", "notifications")).toEqual(at(before, "status", "notifications"))
}

const withoutNotifications = (part: unknown): Json => {
  const { notifications: _dropped, ...rest } = (typeof part === "object" && part !== null ? part : {}) as Json
  return rest
}

describe("taking over from the original controller", () => {
  let scope: Scope.CloseableScope
  let sim: QuaySimulator.RunningSimulator
  let proxy: RecordingProxy
  let operator: OperatorProcess | undefined
  const token = randomBytes(16).toString("hex")
  const namespace = `mig-${randomBytes(3).toString("hex")}`
  let namespaceRobot = ""
  const seeded = new Map<string, Original.SeededRobots>()
  let beforeSwitch = new Map<string, Json | undefined>()
  let afterSwitch = new Map<string, Json | undefined>()

  const imageUrl = (o: Original.OriginalObject) => `${proxy.registryHost}/${organization}/${Original.repositoryOf(namespace, o)}`
  const quayState = () => sim.model.snapshot()
  const repositoryNames = () => quayState().repositories.map((r) => r.name)
  const robotNames = () => quayState().robots.map((r) => r.shortName)
  /** Requests about objects (the self-check included: it runs at a first Quay call); the periodic canary probe aside. */
  const objectRequests = () =>
    proxy.recorder.events.filter((e) => e.type === "start" && !e.what.includes(canaryRobot)).map((e) => e.what)

  beforeAll(async () => {
    const plane = await Effect.runPromise(ControlPlane.up({ stateDir, lease: true }))
    kubeconfig = plane.kubeconfig
    scope = await Effect.runPromise(Scope.make())
    sim = await Effect.runPromise(QuaySimulator.start({ organization, token, plan: "paid" }).pipe(Scope.extend(scope)))
    proxy = await startRecordingProxy(sim)
    await installCrds(["-f", Path.join(ControlPlane.projectRoot, "test", "fixtures", "original")])
    await kubectl(["create", "namespace", namespace])

    // Quay as the original leaves it: the namespace robot first (get-or-create), then each object's provisioning.
    const clusterUid = text(await getJson("namespace", "kube-system"), "metadata", "uid")
    namespaceRobot = Original.namespaceRobotName(namespace, clusterUid)
    const created = await Original.quayCall(sim.apiUrl, token, "PUT", `/organization/${organization}/robots/${namespaceRobot}`, {
      description: "Robot account for Konflux Component"
    })
    await Original.quayCall(sim.apiUrl, token, "POST", "/repository", {
      namespace: organization, visibility: "public", repository: "someone-else/theirs", description: "not ours"
    })
    for (const o of objects) {
      seeded.set(o.name, await Original.seedQuay({ apiUrl: sim.apiUrl, token, organization }, Original.repositoryOf(namespace, o), namespaceRobot))
    }
    await apply(Original.namespaceSecretManifest(
      namespace,
      `${proxy.registryHost}/${organization}/${namespace}`,
      `${organization}+${namespaceRobot}`,
      created.token ?? ""
    ))
    // The objects, their status, their Secrets, the Components and build ServiceAccounts of component repositories.
    for (const o of objects) {
      const robots = seeded.get(o.name) as Original.SeededRobots
      let componentUid: string | undefined
      if (o.component !== undefined) {
        await apply({
          apiVersion: "appstudio.redhat.com/v1alpha1",
          kind: "Component",
          metadata: { name: o.component.name, namespace },
          spec: { application: o.component.application, componentName: o.component.name }
        })
        componentUid = text(await getJson("components.appstudio.redhat.com", o.component.name, namespace), "metadata", "uid")
        await apply({
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: `build-pipeline-${o.component.name}`, namespace },
          secrets: [{ name: Original.secretNameOf(o, "push") }, { name: Original.namespacePullSecret }]
        })
      }
      await apply(Original.objectManifest(namespace, o, Original.repositoryOf(namespace, o), componentUid))
      await kubectl([
        "patch", resource(o), o.name, "-n", namespace, "--subresource=status", "--type=merge",
        "-p", JSON.stringify({ status: Original.statusOf(o, imageUrl(o), robots) })
      ])
      const uid = text(await getJson(resource(o), o.name, namespace), "metadata", "uid")
      for (const role of ["push", "pull"] as const) {
        await apply(Original.robotSecretManifest(namespace, o, uid, role, imageUrl(o), robots[role]))
      }
    }
    beforeSwitch = await snapshotObjects(namespace)
    // As `make install` does.
    await installCrds(["-k", Path.join(ControlPlane.projectRoot, "config", "crd")])
    afterSwitch = await snapshotObjects(namespace)
  }, 300_000)

  afterAll(async () => {
    await kubectl(["delete", "namespace", namespace, "--wait=false"]).catch(() => "")
    await operator?.stop("SIGTERM")
    await proxy?.close()
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    await Effect.runPromise(ControlPlane.release({ stateDir }).pipe(Effect.ignore))
  }, 120_000)

  it("the switch to our CRDs loses nothing of any object's spec or status", () => {
    for (const o of objects) {
      const before = beforeSwitch.get(`${o.group}/${o.name}`) as Json
      const after = afterSwitch.get(`${o.group}/${o.name}`) as Json
      expect(at(before, "status", "credentials", "pull-robot-account")).toMatch(/_pull$/)
      expect(withoutNotifications(at(after, "spec"))).toEqual(withoutNotifications(at(before, "spec")))
      expect(withoutNotifications(at(after, "status"))).toEqual(withoutNotifications(at(before, "status")))
      expect(at(after, "metadata", "annotations")).toEqual(at(before, "metadata", "annotations"))
      expectNotificationsAcrossSwitch(before, after)
    }
  })

  it("adopts every object of both groups with no Quay request; Secrets and status stay the original's", async () => {
    // From the operator's start: the token's self-check waits for a first Quay call, and adoption makes none.
    proxy.recorder.clear()
    operator = startOperator("migration", {
      KUBECONFIG: kubeconfig,
      WATCH_NAMESPACE: namespace,
      QUAY_API_URL: proxy.apiUrl,
      QUAY_ORG: organization,
      QUAY_TOKEN: token,
      LEADER_ELECTION: "false",
      PIPELINE_SERVICE_ACCOUNT: "build-pipeline-{component}",
      LOG_LEVEL: "Debug",
      HEALTH_PORT: "0",
      // Other operators may run on this machine: not the fixed 8080.
      METRICS_PORT: "0"
    })
    for (const o of objects) {
      await eventually(`${o.group}/${o.name} adopted`, async () => {
        const ir = await getJson(resource(o), o.name, namespace)
        const conditions = at(ir, "status", "conditions")
        const ready = (Array.isArray(conditions) ? conditions : []).find((c: unknown) => at(c, "type") === "Ready")
        return at(ready, "status") === "True" ? ir : undefined
      }, 60_000)
    }
    // The Secrets were relabelled: their next write is an informer event, not an apiserver read.
    for (const o of objects) {
      await eventually(`${o.name}'s push Secret labelled`, async () => {
        const secret = await getJson("secret", Original.secretNameOf(o, "push"), namespace)
        return at(secret, "metadata", "labels", "app.kubernetes.io/managed-by") === "image-repository-operator" ? true : undefined
      })
    }
    expect(objectRequests()).toEqual([])
    for (const o of objects) {
      const before = afterSwitch.get(`${o.group}/${o.name}`) as Json
      const now = (await getJson(resource(o), o.name, namespace)) as Json
      expect(at(now, "spec")).toEqual(at(before, "spec"))
      for (const field of ["state", "image", "credentials"]) expect(at(now, "status", field)).toEqual(at(before, "status", field))
      expect(at(now, "status", "component")).toEqual(o.component)
      const pull = await getJson("secret", Original.secretNameOf(o, "pull"), namespace)
      expect(at(pull, "data", ".dockerconfigjson")).toBe(
        Original.dockerConfig(imageUrl(o), (seeded.get(o.name) as Original.SeededRobots).pull.name, (seeded.get(o.name) as Original.SeededRobots).pull.token)
      )
    }
  }, 180_000)

  it("each feature works on adopted objects: rotation, visibility, Secret repair, verify-linking, the new group's name rule, the Component's image", async () => {
    const [general, billing, newer, payments] = objects as [Original.OriginalObject, Original.OriginalObject, Original.OriginalObject, Original.OriginalObject]
    const patch = (o: Original.OriginalObject, body: unknown) =>
      kubectl(["patch", resource(o), o.name, "-n", namespace, "--type=merge", "-p", JSON.stringify(body)])
    const pushCredentials = async (o: Original.OriginalObject) => {
      const secret = await getJson("secret", Original.secretNameOf(o, "push"), namespace)
      const document: unknown = JSON.parse(Buffer.from(text(secret, "data", ".dockerconfigjson") || "e30=", "base64").toString())
      const auth = Buffer.from(text(document, "auths", imageUrl(o), "auth"), "base64").toString()
      return { username: auth.slice(0, auth.indexOf(":")), token: auth.slice(auth.indexOf(":") + 1) }
    }

    const oldToken = (await pushCredentials(billing)).token
    await patch(billing, { spec: { credentials: { "regenerate-token": true } } })
    await eventually("billing's token rotated", async () => {
      const ir = await getJson(resource(billing), billing.name, namespace)
      return at(ir, "spec", "credentials", "regenerate-token") === undefined && (await pushCredentials(billing)).token !== oldToken
        ? true
        : undefined
    }, 60_000)
    const rotated = await pushCredentials(billing)
    expect(sim.model.authorize(rotated.username, rotated.token, `${organization}/${Original.repositoryOf(namespace, billing)}`, "push")).toBe(true)
    expect(sim.model.authorize(rotated.username, oldToken, `${organization}/${Original.repositoryOf(namespace, billing)}`, "push")).toBe(false)

    await patch(newer, { spec: { image: { visibility: "private" } } })
    await eventually("newer's repository private", async () =>
      quayState().repositories.find((r) => r.name === Original.repositoryOf(namespace, newer))?.visibility === "private" ? true : undefined, 60_000)

    await kubectl(["delete", "secret", Original.secretNameOf(general, "push"), "-n", namespace])
    await eventually("general's push Secret restored", async () => {
      const { username, token: robotToken } = await pushCredentials(general)
      return robotToken !== "" && sim.model.authorize(username, robotToken, `${organization}/${Original.repositoryOf(namespace, general)}`, "push")
        ? true
        : undefined
    }, 60_000)

    await patch(payments, { spec: { credentials: { "verify-linking": true } } })
    await eventually("payments' links verified", async () => {
      const ir = await getJson(resource(payments), payments.name, namespace)
      return at(ir, "spec", "credentials", "verify-linking") === undefined ? true : undefined
    }, 60_000)
    const account = await getJson("serviceaccount", "build-pipeline-payments", namespace)
    const listed = at(account, "secrets")
    expect((Array.isArray(listed) ? listed : []).map((s: unknown) => at(s, "name"))).toEqual([Original.secretNameOf(payments, "push"), Original.namespacePullSecret])

    await expect(patch(payments, { spec: { image: { name: `${namespace}/elsewhere` } } })).rejects.toThrow(/Image repository name cannot be changed/)

    await patch(billing, { metadata: { annotations: { "image-controller.appstudio.redhat.com/update-component-image": "true" } } })
    await eventually("billing's Component image set", async () =>
      text(await getJson("components.appstudio.redhat.com", "billing", namespace), "spec", "containerImage") === imageUrl(billing)
        ? true
        : undefined, 60_000)
    expect(at(await getJson(resource(billing), billing.name, namespace), "metadata", "annotations", "image-controller.appstudio.redhat.com/update-component-image"))
      .toBeUndefined()
  }, 240_000)

  it("deleting each removes everything the original created for it, and nothing shared or anyone else's", async () => {
    const grantsOf = (repository: string) => quayState().repositories.find((r) => r.name === repository)?.permissions
    for (const o of objects) {
      const repository = Original.repositoryOf(namespace, o)
      const robots = seeded.get(o.name) as Original.SeededRobots
      const kept = o.annotations?.[Original.skipDeletionAnnotation] === "true"
      await kubectl(["delete", resource(o), o.name, "-n", namespace, "--wait=true", "--timeout=60s"])
      expect(robotNames()).not.toContain(robots.push.shortName)
      expect(robotNames()).not.toContain(robots.pull.shortName)
      if (kept) {
        // Kept as asked, without the namespace robot's grant, as the original leaves it.
        expect(grantsOf(repository)?.[`${organization}+${namespaceRobot}`]).toBeUndefined()
      } else {
        expect(repositoryNames()).not.toContain(repository)
      }
      for (const role of ["push", "pull"] as const) {
        await eventually(`${o.name}'s ${role} Secret collected`, async () =>
          (await getJson("secret", Original.secretNameOf(o, role), namespace)) === undefined ? true : undefined, 60_000)
      }
      // The others' are all still there.
      for (const other of objects.slice(objects.indexOf(o) + 1)) {
        expect(repositoryNames()).toContain(Original.repositoryOf(namespace, other))
        expect(robotNames()).toContain((seeded.get(other.name) as Original.SeededRobots).push.shortName)
        expect(await getJson("secret", Original.secretNameOf(other, "push"), namespace)).toBeDefined()
      }
    }
    // Shared with the namespace, or someone else's: never the object's to delete.
    expect(robotNames()).toContain(namespaceRobot)
    expect(await getJson("secret", Original.namespacePullSecret, namespace)).toBeDefined()
    expect(repositoryNames()).toContain("someone-else/theirs")
    expect(repositoryNames()).toContain(Original.repositoryOf(namespace, objects[2] as Original.OriginalObject))
  }, 300_000)
})
