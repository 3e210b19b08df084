/**
 * End to end: the operator as a real process, the real apiserver (+ controller-manager), and the Quay
 * simulator over HTTP. The spec's general-purpose examples are applied as YAML with kubectl, as a user would.
 */
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect, Exit, Scope } from "effect"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { kubeconfigPath } from "./support.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { type OperatorProcess, startOperator } from "./e2e/OperatorProcess.ts"

interface ImageRepositoryJson {
  readonly metadata: { readonly uid: string; readonly generation: number; readonly finalizers?: ReadonlyArray<string> }
  readonly spec?: {
    readonly image?: { readonly name?: string; readonly visibility?: string }
    readonly credentials?: Record<string, boolean>
  }
  readonly status?: {
    readonly state?: string
    readonly message?: string
    readonly image?: { readonly url?: string; readonly visibility?: string }
    readonly credentials?: Record<string, string>
    readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly observedGeneration?: number }>
  }
}
interface SecretJson {
  readonly type: string
  readonly data: Record<string, string>
  readonly metadata: { readonly ownerReferences?: ReadonlyArray<{ readonly uid: string; readonly kind: string }> }
}

const organization = "e2e-org"
const token = randomBytes(16).toString("hex")

/** A Quay simulator and an operator watching one namespace of its own: other test files share the cluster. */
interface Rig {
  readonly scope: Scope.CloseableScope
  readonly sim: QuaySimulator.RunningSimulator
  readonly namespace: string
  operator: OperatorProcess
}

const startRig = async (name: string, options: { readonly latencyMs?: number } = {}): Promise<Rig> => {
  const scope = await Effect.runPromise(Scope.make())
  const sim = await Effect.runPromise(
    QuaySimulator.start({ organization, token, plan: "paid", ...options }).pipe(Scope.extend(scope))
  )
  const namespace = await newNamespace()
  return { scope, sim, namespace, operator: launch(name, sim, namespace) }
}

const launch = (name: string, sim: QuaySimulator.RunningSimulator, namespace: string) =>
  startOperator(name, {
    KUBECONFIG: kubeconfigPath(),
    WATCH_NAMESPACE: namespace,
    QUAY_API_URL: sim.apiUrl,
    QUAY_ORG: organization,
    QUAY_TOKEN: token,
    LEADER_ELECTION: "true",
    LEASE_NAMESPACE: namespace,
    LEASE_NAME: `e2e-${name}-${randomBytes(3).toString("hex")}`,
    LEASE_DURATION: "6s",
    RENEW_DEADLINE: "4s",
    RETRY_PERIOD: "1s",
    WORKERS: "4",
    // Several operators run at once here: no fixed probe port (test/runtime/HealthServer.test.ts covers it).
    HEALTH_PORT: "0"
  })

/** Objects go while their operator still runs, so finalizers are released and the namespace can terminate. */
const stopRig = async (rig: Rig) => {
  await kubectl(["delete", "imagerepositories", "--all", "-n", rig.namespace, "--wait=true", "--timeout=60s"])
  await rig.operator.stop("SIGTERM")
  await Effect.runPromise(Scope.close(rig.scope, Exit.void))
  await kubectl(["delete", "namespace", rig.namespace, "--wait=false"])
}

const newNamespace = async () => {
  const name = `e2e-${randomBytes(4).toString("hex")}`
  await kubectl(["create", "namespace", name])
  return name
}

const applyYaml = (yaml: string) => kubectl(["apply", "-f", "-"], yaml)

const imageRepository = (namespace: string, name: string, body = "") =>
  `apiVersion: appstudio.redhat.com/v1alpha1
kind: ImageRepository
metadata:
  name: ${name}
  namespace: ${namespace}
${body}`

const get = (namespace: string, name: string) => getJson<ImageRepositoryJson>("imagerepository", namespace, name)

const ready = (namespace: string, name: string, also: (ir: ImageRepositoryJson) => boolean = () => true) =>
  eventually(`${namespace}/${name} ready`, async () => {
    const ir = await get(namespace, name)
    return ir?.status?.state === "ready" && also(ir) ? ir : undefined
  })

const mergePatch = (namespace: string, name: string, patch: unknown) =>
  kubectl(["patch", "imagerepository", name, "-n", namespace, "--type", "merge", "-p", JSON.stringify(patch)])

/** The credentials in a push Secret, and whether the registry accepts them for push to `repository`. */
const pushAllowed = async (rig: Rig, namespace: string, secretName: string, imagePath: string, repository: string) => {
  const secret = await getJson<SecretJson>("secret", namespace, secretName)
  if (secret === undefined) return { secret, allowed: false, auth: undefined }
  const document = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"] ?? "", "base64").toString())
  const auth: string = Buffer.from(document.auths[imagePath]?.auth ?? "", "base64").toString()
  const [username, robotToken] = [auth.slice(0, auth.indexOf(":")), auth.slice(auth.indexOf(":") + 1)]
  return { secret, auth, allowed: rig.sim.model.authorize(username, robotToken, `${organization}/${repository}`, "push") }
}

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

  it("verify-linking repairs the Component's build ServiceAccount", async () => {
    const ns = rig.namespace
    await applyYaml(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: build-pipeline-comp
  namespace: ${ns}
`)
    await applyYaml(
      imageRepository(ns, "comp-ir").replace(
        `namespace: ${ns}`,
        `namespace: ${ns}\n  labels:\n    appstudio.redhat.com/component: comp\n    appstudio.redhat.com/application: app`
      )
    )
    await ready(ns, "comp-ir")
    const links = async () => {
      const sa = await getJson<{ secrets?: Array<{ name: string }>; imagePullSecrets?: Array<{ name: string }> }>(
        "serviceaccount",
        ns,
        "build-pipeline-comp"
      )
      return { secrets: (sa?.secrets ?? []).map((s) => s.name), pulls: (sa?.imagePullSecrets ?? []).map((s) => s.name) }
    }
    expect((await links()).secrets).toContain("comp-ir-image-push")
    await kubectl([
      "patch", "serviceaccount", "build-pipeline-comp", "-n", ns, "--type", "merge", "-p",
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
      const reverted = await ready(ns, "later", (ir) => ir.status?.message !== undefined)
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
      rig.operator = launch("restart-2", rig.sim, rig.namespace)
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
