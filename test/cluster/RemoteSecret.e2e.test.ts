/**
 * RemoteSecret mode end to end: the RemoteSecret and Environment CRDs this project ships for tests
 * (test/cluster/manifests/remotesecret/) on the real apiserver, the operator as a real process in `REMOTE_SECRETS=auto`
 * with config/rbac's identity (so RemoteSecret mode needs nothing the manifests do not grant),
 * and what it writes as the RemoteSecret operator would find it: the RemoteSecrets, their upload Secrets (whose token
 * the Quay simulator accepts), links, targets (the Application's Environments too, a new one included) and the status
 * fields exactly as the spec shows them. No RemoteSecret operator runs here (see the README for a run with the real
 * one), so nothing consumes the upload Secrets.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { hygieneReport, type TokenWatch, watchTokens } from "./e2e/Hygiene.ts"
import { installRbac, operatorKubeconfig, operatorNamespace } from "./e2e/OperatorIdentity.ts"
import {
  applyYaml,
  componentLabels,
  imageRepository,
  launch,
  mergePatch,
  pushAllowed,
  organization,
  ready,
  type Rig,
  type SecretJson,
  startRig,
  stopRig
} from "./e2e/Rig.ts"

const manifests = Path.join(projectRoot, "test", "cluster", "manifests", "remotesecret")

interface RemoteSecretJson {
  readonly metadata: {
    readonly uid: string
    readonly labels?: Record<string, string>
    readonly ownerReferences?: ReadonlyArray<{ readonly kind: string; readonly name: string; readonly uid: string }>
  }
  readonly spec: {
    readonly secret: { readonly name: string; readonly type: string; readonly linkedTo: ReadonlyArray<unknown> }
    readonly targets: ReadonlyArray<Record<string, string>>
  }
}

const remoteSecret = (namespace: string, name: string) => getJson<RemoteSecretJson>("remotesecret", namespace, name)

/** The robot and token an upload Secret hands over for the image, and whether the simulator lets it `access`. */
const uploadedCredentials = async (rig: Rig, namespace: string, remoteSecretName: string, imagePath: string, repository: string, access: "push" | "pull") => {
  const secret = await getJson<SecretJson & { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } }>(
    "secret",
    namespace,
    `upload-secret-${remoteSecretName}`
  )
  if (secret === undefined) return undefined
  const document = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"] ?? "", "base64").toString())
  const auth: string = Buffer.from(document.auths[imagePath]?.auth ?? "", "base64").toString()
  const [username, token] = [auth.slice(0, auth.indexOf(":")), auth.slice(auth.indexOf(":") + 1)]
  return { secret, username, token, allowed: rig.sim.model.authorize(username, token, `${organization}/${repository}`, access) }
}

const environment = (namespace: string, name: string, targetNamespace?: string) =>
  `apiVersion: appstudio.redhat.com/v1alpha1
kind: Environment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  displayName: ${name}
  deploymentStrategy: AppStudioAutomated
${targetNamespace === undefined ? "" : `  tags: ["managed"]
  unstableConfigurationFields:
    kubernetesCredentials:
      targetNamespace: ${targetNamespace}
      apiURL: ""
      clusterCredentialsSecret: ""
      allowInsecureSkipTLSVerify: false
`}`

describe("RemoteSecret mode against the real apiserver", () => {
  let rig: Rig
  let watch: TokenWatch
  let kubeconfig: string

  beforeAll(async () => {
    await kubectl(["apply", "-f", Path.join(manifests, "remotesecrets.yaml"), "-f", Path.join(manifests, "environments.yaml")])
    await kubectl([
      "wait", "--for", "condition=established", "--timeout=60s",
      "crd/remotesecrets.appstudio.redhat.com", "crd/environments.appstudio.redhat.com"
    ])
    await installRbac()
    kubeconfig = await operatorKubeconfig()
    rig = await startRig("remote-secrets", { kubeconfig, leaseNamespace: operatorNamespace, env: { REMOTE_SECRETS: "auto" } })
    watch = watchTokens(rig)
  })
  afterAll(async () => {
    watch.stop()
    await stopRig(rig)
    Fs.rmSync(kubeconfig, { force: true })
  })

  it("finds the RemoteSecret API by discovery and says so at start", async () => {
    await eventually("the mode line", async () =>
      rig.operator.log().includes("credentials mode: RemoteSecret (REMOTE_SECRETS=auto; appstudio.redhat.com/v1beta1 remotesecrets served)")
        ? true
        : undefined, 90_000)
  }, 120_000)

  it("the spec's general-purpose example: push-remote-secret next to push-secret, the RemoteSecret and its upload Secret", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "imagerepository-sample"))
    const ir = await ready(ns, "imagerepository-sample")
    expect(ir.status?.credentials).toEqual({
      generationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      "push-robot-account": expect.stringMatching(/^e2e_[0-9a-f]{8}_imagerepository_sample_[0-9a-f]{10}$/),
      "push-remote-secret": "imagerepository-sample-image-push",
      "push-secret": "imagerepository-sample-image-push"
    })
    const rs = await remoteSecret(ns, "imagerepository-sample-image-push")
    expect(rs?.metadata.labels).toEqual({ "appstudio.redhat.com/internal": "true" })
    expect(rs?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "ImageRepository", name: "imagerepository-sample", uid: ir.metadata.uid })
    ])
    expect(rs?.spec).toEqual({
      secret: { name: "imagerepository-sample-image-push", type: "kubernetes.io/dockerconfigjson", linkedTo: [] },
      targets: [{ namespace: ns }]
    })
    const url = `${rig.sim.registryHost}/${organization}/${ns}/imagerepository-sample`
    const upload = await uploadedCredentials(rig, ns, "imagerepository-sample-image-push", url, `${ns}/imagerepository-sample`, "push")
    expect(upload?.secret.type).toBe("kubernetes.io/dockerconfigjson")
    expect(upload?.secret.metadata.labels).toEqual({ "appstudio.redhat.com/upload-secret": "remotesecret" })
    expect(upload?.secret.metadata.annotations).toEqual({
      "appstudio.redhat.com/remotesecret-name": "imagerepository-sample-image-push"
    })
    expect(upload?.username).toBe(`${organization}+${ir.status?.credentials?.["push-robot-account"]}`)
    expect(upload?.allowed).toBe(true)
    // The Secret itself is the RemoteSecret operator's to deploy.
    expect(await getJson("secret", ns, "imagerepository-sample-image-push")).toBeUndefined()
  }, 90_000)

  it("the spec's component example: both RemoteSecrets, linked and targeted, the pull one to every Environment", async () => {
    const ns = rig.namespace
    await applyYaml(environment(ns, "development"))
    await applyYaml(environment(ns, "staging", `${ns}-staging`))
    await applyYaml(
      imageRepository(ns, "imagerepository-for-component-sample", "", componentLabels("my-component", "my-app"))
    )
    const ir = await ready(ns, "imagerepository-for-component-sample")
    expect(ir.status?.credentials).toEqual({
      generationTimestamp: expect.stringMatching(/Z$/),
      "push-robot-account": expect.stringMatching(/^e2e_[0-9a-f]{8}_imagerepository_for_component_sample_[0-9a-f]{10}$/),
      "push-remote-secret": "imagerepository-for-component-sample-image-push",
      "push-secret": "imagerepository-for-component-sample-image-push",
      "pull-robot-account": expect.stringMatching(/^e2e_[0-9a-f]{8}_imagerepository_for_component_sample_[0-9a-f]{10}_pull$/),
      "pull-remote-secret": "imagerepository-for-component-sample-image-pull",
      "pull-secret": "imagerepository-for-component-sample-image-pull"
    })
    const push = await remoteSecret(ns, "imagerepository-for-component-sample-image-push")
    // `as` is the CRD's default: the Secret goes into the account's `secrets`.
    expect(push?.spec.secret.linkedTo).toEqual([{ serviceAccount: { as: "secret", reference: { name: "appstudio-pipeline" } } }])
    expect(push?.spec.targets).toEqual([{ namespace: ns }])
    const pull = await remoteSecret(ns, "imagerepository-for-component-sample-image-pull")
    expect(pull?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "ImageRepository", uid: ir.metadata.uid })])
    expect(pull?.metadata.labels).toEqual({
      "appstudio.redhat.com/internal": "true",
      "appstudio.redhat.com/application": "my-app",
      "appstudio.redhat.com/component": "my-component"
    })
    expect(pull?.spec.secret).toEqual({
      name: "imagerepository-for-component-sample-image-pull",
      type: "kubernetes.io/dockerconfigjson",
      linkedTo: [{ serviceAccount: { as: "secret", reference: { name: "default" } } }]
    })
    expect(pull?.spec.targets).toEqual([{ namespace: ns }, { namespace: `${ns}-staging` }])
    const url = `${rig.sim.registryHost}/${organization}/${ns}/my-app/my-component`
    const pullUpload = await uploadedCredentials(rig, ns, "imagerepository-for-component-sample-image-pull", url, `${ns}/my-app/my-component`, "pull")
    expect(pullUpload?.allowed).toBe(true)
    expect(rig.sim.model.authorize(pullUpload?.username ?? "", pullUpload?.token ?? "", `${organization}/${ns}/my-app/my-component`, "push"))
      .toBe(false)

    // A new Environment: the operator watches them, so the pull RemoteSecret gets it without a nudge.
    await applyYaml(environment(ns, "production", `${ns}-production`))
    await eventually("the new Environment as a target", async () => {
      const targets = (await remoteSecret(ns, "imagerepository-for-component-sample-image-pull"))?.spec.targets ?? []
      return targets.some((t) => t["namespace"] === `${ns}-production`) ? targets : undefined
    })
  }, 90_000)

  it("regenerate-token uploads the new token; a deleted RemoteSecret is created again", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "rotated"))
    const provisioned = await ready(ns, "rotated")
    const url = `${rig.sim.registryHost}/${organization}/${ns}/rotated`
    const first = await uploadedCredentials(rig, ns, "rotated-image-push", url, `${ns}/rotated`, "push")
    expect(first?.allowed).toBe(true)
    await new Promise((r) => setTimeout(r, 1100)) // generationTimestamp has second precision
    await mergePatch(ns, "rotated", { spec: { credentials: { "regenerate-token": true } } })
    await ready(ns, "rotated", (ir) =>
      ir.spec?.credentials?.["regenerate-token"] === undefined &&
      ir.status?.credentials?.["generationTimestamp"] !== provisioned.status?.credentials?.["generationTimestamp"])
    const second = await eventually("the new token uploaded", async () => {
      const upload = await uploadedCredentials(rig, ns, "rotated-image-push", url, `${ns}/rotated`, "push")
      return upload !== undefined && upload.token !== first?.token ? upload : undefined
    })
    expect(second.allowed).toBe(true)
    expect(rig.sim.model.authorize(first?.username ?? "", first?.token ?? "", `${organization}/${ns}/rotated`, "push")).toBe(false)

    const before = await remoteSecret(ns, "rotated-image-push")
    await kubectl(["delete", "remotesecret", "rotated-image-push", "-n", ns])
    const recreated = await eventually("the RemoteSecret re-created", async () => {
      const rs = await remoteSecret(ns, "rotated-image-push")
      return rs !== undefined && rs.metadata.uid !== before?.metadata.uid ? rs : undefined
    })
    expect(recreated.spec.targets).toEqual([{ namespace: ns }])
  }, 90_000)

  it("left no robot token and no organization token in its log, Events or statuses", async () => {
    const report = await hygieneReport(rig, watch, [rig.namespace])
    expect(report.tokens).toBeGreaterThanOrEqual(3)
    expect(report.findings).toEqual([])
    // Nothing it tried was refused.
    expect(rig.operator.log().split("\n").filter((line) => /forbidden|\b403\b/i.test(line))).toEqual([])
  })

  it("a restart in Secret mode takes back what the RemoteSecret deployed, retires it, and the Secret keeps working", async () => {
    const ns = rig.namespace
    await applyYaml(imageRepository(ns, "switched"))
    const ir = await ready(ns, "switched")
    const url = `${rig.sim.registryHost}/${organization}/${ns}/switched`
    const upload = await uploadedCredentials(rig, ns, "switched-image-push", url, `${ns}/switched`, "push")
    // What the RemoteSecret operator would do with it: the data deployed as the Secret, marked as its own.
    const key = `${ns}/switched-image-push`
    await applyYaml(`apiVersion: v1
kind: Secret
metadata:
  name: switched-image-push
  namespace: ${ns}
  labels:
    appstudio.redhat.com/linked-by-remote-secret: "true"
  annotations:
    appstudio.redhat.com/managing-remote-secret: ${key}
    appstudio.redhat.com/linked-remote-secrets: ${key}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${upload?.secret.data[".dockerconfigjson"] ?? ""}
`)
    await kubectl(["delete", "secret", "upload-secret-switched-image-push", "-n", ns])

    await rig.operator.stop("SIGTERM")
    rig.operator = launch("remote-secrets-off", { ...rig, options: { ...rig.options, env: { REMOTE_SECRETS: "off" } } })
    await eventually("Secret mode", async () =>
      rig.operator.log().includes("credentials mode: Secret (REMOTE_SECRETS=off; appstudio.redhat.com/v1beta1 remotesecrets served)")
        ? true
        : undefined, 90_000)
    const secret = await eventually("the Secret taken back", async () => {
      const found = await getJson<SecretJson & { metadata: { annotations?: Record<string, string> } }>("secret", ns, "switched-image-push")
      return found?.metadata.ownerReferences?.some((o) => o.uid === ir.metadata.uid) === true ? found : undefined
    })
    expect(secret.metadata.annotations?.["appstudio.redhat.com/managing-remote-secret"]).toBeUndefined()
    await eventually("the RemoteSecret retired", async () =>
      (await remoteSecret(ns, "switched-image-push")) === undefined ? true : undefined)
    const after = await ready(ns, "switched", (o) => o.status?.credentials?.["push-remote-secret"] === undefined)
    expect(after.status?.credentials?.["push-secret"]).toBe("switched-image-push")
    expect((await pushAllowed(rig, ns, "switched-image-push", url, `${ns}/switched`)).allowed).toBe(true)
    expect(rig.operator.log().split("\n").filter((line) => /forbidden|\b403\b/i.test(line))).toEqual([])
  }, 180_000)
})
