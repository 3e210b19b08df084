/**
 * One end-to-end rig: a Quay simulator over HTTP, a namespace of its own, and the operator as a real process
 * watching that namespace (other test files share the cluster). What the end-to-end suites have in common.
 */
import { randomBytes } from "node:crypto"
import { Effect, Exit, Scope } from "effect"
import * as QuaySimulator from "../../../src/simulator/QuaySimulator.ts"
import { kubeconfigPath } from "./clusterKubeconfig.ts"
import { eventually, getJson, kubectl } from "./kubectl.ts"
import { type OperatorProcess, startOperator } from "./OperatorProcess.ts"

export interface ImageRepositoryJson {
  readonly metadata: {
    readonly name: string
    readonly uid: string
    readonly generation: number
    readonly finalizers?: ReadonlyArray<string>
    readonly labels?: Record<string, string>
  }
  readonly spec?: {
    readonly image?: { readonly name?: string; readonly visibility?: string }
    readonly credentials?: Record<string, boolean>
  }
  readonly status?: {
    readonly state?: string
    readonly message?: string
    readonly image?: { readonly url?: string; readonly visibility?: string }
    readonly credentials?: Record<string, string>
    readonly component?: { readonly name: string; readonly application: string }
    readonly conditions?: ReadonlyArray<{
      readonly type: string
      readonly status: string
      readonly reason?: string
      readonly observedGeneration?: number
    }>
  }
}

export interface SecretJson {
  readonly type: string
  readonly data: Record<string, string>
  readonly metadata: { readonly ownerReferences?: ReadonlyArray<{ readonly uid: string; readonly kind: string }> }
}

export const organization = "e2e-org"

export interface RigOptions {
  readonly latencyMs?: number
  /** The operator's apiserver identity; the admin kubeconfig when absent. */
  readonly kubeconfig?: string
  /** Where the Lease lives; the rig's namespace when absent. */
  readonly leaseNamespace?: string
  readonly logFormat?: "pretty" | "json" | "logfmt"
  /** LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD; short by default, so a restarted operator takes over fast. */
  readonly lease?: readonly [duration: string, renewDeadline: string, retryPeriod: string]
  /** Where the operator sends its Quay requests, when not straight to the simulator (a recording proxy). */
  readonly quayApiUrl?: (sim: QuaySimulator.RunningSimulator) => Promise<string>
  /** More of the operator's environment. */
  readonly env?: Record<string, string>
}

export interface Rig {
  readonly scope: Scope.CloseableScope
  readonly sim: QuaySimulator.RunningSimulator
  readonly namespace: string
  /** The organization's token the operator holds: it must never show anywhere. */
  readonly token: string
  readonly options: RigOptions
  /** Where the operator sends its Quay requests: the simulator, or what `quayApiUrl` put in front of it. */
  readonly apiUrl: string
  operator: OperatorProcess
}

export const startRig = async (name: string, options: RigOptions = {}): Promise<Rig> => {
  const scope = await Effect.runPromise(Scope.make())
  const token = randomBytes(16).toString("hex")
  const sim = await Effect.runPromise(
    QuaySimulator.start({
      organization,
      token,
      plan: "paid",
      ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs })
    }).pipe(Scope.extend(scope))
  )
  const namespace = await newNamespace()
  const apiUrl = options.quayApiUrl === undefined ? sim.apiUrl : await options.quayApiUrl(sim)
  const parts = { scope, sim, namespace, token, options, apiUrl }
  return { ...parts, operator: launch(name, parts) }
}

/** Starts (or restarts) the rig's operator under `name` (its log file). */
export const launch = (name: string, rig: Pick<Rig, "sim" | "namespace" | "token" | "options" | "apiUrl">) =>
  startOperator(name, {
    KUBECONFIG: rig.options.kubeconfig ?? kubeconfigPath(),
    WATCH_NAMESPACE: rig.namespace,
    QUAY_API_URL: rig.apiUrl,
    QUAY_ORG: organization,
    QUAY_TOKEN: rig.token,
    LEADER_ELECTION: "true",
    LEASE_NAMESPACE: rig.options.leaseNamespace ?? rig.namespace,
    LEASE_NAME: `e2e-${name}-${randomBytes(3).toString("hex")}`,
    LEASE_DURATION: rig.options.lease?.[0] ?? "6s",
    RENEW_DEADLINE: rig.options.lease?.[1] ?? "4s",
    RETRY_PERIOD: rig.options.lease?.[2] ?? "1s",
    WORKERS: "4",
    LOG_FORMAT: rig.options.logFormat ?? "pretty",
    LOG_LEVEL: "Debug",
    // Several operators run at once here: no fixed probe port (test/runtime/HealthServer.test.ts covers it).
    HEALTH_PORT: "0",
    // Nor the default /metrics port 8080: a second operator, or anything else on the machine, may hold it.
    METRICS_PORT: "0",
    ...rig.options.env
  })

/** Objects go while their operator still runs, so finalizers are released and the namespace can terminate. */
export const stopRig = async (rig: Rig) => {
  await kubectl(["delete", "imagerepositories", "--all", "-n", rig.namespace, "--wait=true", "--timeout=60s"])
  await rig.operator.stop("SIGTERM")
  await Effect.runPromise(Scope.close(rig.scope, Exit.void))
  await kubectl(["delete", "namespace", rig.namespace, "--wait=false"])
}

export const newNamespace = async () => {
  const name = `e2e-${randomBytes(4).toString("hex")}`
  await kubectl(["create", "namespace", name])
  return name
}

export const applyYaml = (yaml: string) => kubectl(["apply", "-f", "-"], yaml)

export const imageRepository = (namespace: string, name: string, body = "", labels: Record<string, string> = {}) =>
  `apiVersion: appstudio.redhat.com/v1alpha1
kind: ImageRepository
metadata:
  name: ${name}
  namespace: ${namespace}
${Object.keys(labels).length === 0 ? "" : `  labels:\n${Object.entries(labels).map(([k, v]) => `    ${k}: ${v}\n`).join("")}`}${body}`

/** A Component's ImageRepository: the label that links its push Secret to `build-pipeline-<component>`. */
export const componentLabels = (component: string, application?: string): Record<string, string> => ({
  "appstudio.redhat.com/component": component,
  ...(application === undefined ? {} : { "appstudio.redhat.com/application": application })
})

export const applyServiceAccount = (namespace: string, name: string) =>
  applyYaml(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: ${namespace}
`)

/** The Secrets a ServiceAccount lists, in `secrets` and in `imagePullSecrets`. */
export const serviceAccountLinks = async (namespace: string, name: string) => {
  const sa = await getJson<{ secrets?: Array<{ name: string }>; imagePullSecrets?: Array<{ name: string }> }>(
    "serviceaccount",
    namespace,
    name
  )
  return { secrets: (sa?.secrets ?? []).map((s) => s.name), pulls: (sa?.imagePullSecrets ?? []).map((s) => s.name) }
}

export const getImageRepository = (namespace: string, name: string) =>
  getJson<ImageRepositoryJson>("imagerepository", namespace, name)

export const ready = (
  namespace: string,
  name: string,
  also: (ir: ImageRepositoryJson) => boolean = () => true,
  timeoutMs?: number
) =>
  eventually(`${namespace}/${name} ready`, async () => {
    const ir = await getImageRepository(namespace, name)
    return ir?.status?.state === "ready" && also(ir) ? ir : undefined
  }, timeoutMs)

export const mergePatch = (namespace: string, name: string, patch: unknown) =>
  kubectl(["patch", "imagerepository", name, "-n", namespace, "--type", "merge", "-p", JSON.stringify(patch)])

/** The robot name and token a dockerconfigjson Secret holds for an image path. */
export const credentialsIn = async (namespace: string, secretName: string, imagePath: string) => {
  const secret = await getJson<SecretJson>("secret", namespace, secretName)
  if (secret === undefined) return { secret, auth: undefined, username: "", robotToken: "" }
  const document = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"] ?? "", "base64").toString())
  const auth: string = Buffer.from(document.auths[imagePath]?.auth ?? "", "base64").toString()
  return { secret, auth, username: auth.slice(0, auth.indexOf(":")), robotToken: auth.slice(auth.indexOf(":") + 1) }
}

/** The credentials in a push Secret, and whether the registry accepts them for push to `repository`. */
export const pushAllowed = async (rig: Rig, namespace: string, secretName: string, imagePath: string, repository: string) => {
  const { secret, auth, username, robotToken } = await credentialsIn(namespace, secretName, imagePath)
  if (secret === undefined) return { secret, allowed: false, auth: undefined }
  return { secret, auth, allowed: rig.sim.model.authorize(username, robotToken, `${organization}/${repository}`, "push") }
}
