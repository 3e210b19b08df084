/**
 * One end-to-end rig: a Quay simulator and the operator as a real process, watching a namespace of its own (other
 * test files share the cluster), and the kubectl steps a user takes.
 */
import { randomBytes } from "node:crypto"
import { Effect, Exit, Scope } from "effect"
import * as QuaySimulator from "../../../src/simulator/QuaySimulator.ts"
import { kubeconfigPath } from "../support.ts"
import { eventually, getJson, kubectl } from "./kubectl.ts"
import { type OperatorProcess, startOperator } from "./OperatorProcess.ts"

export interface ImageRepositoryJson {
  readonly metadata: {
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
    readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly observedGeneration?: number }>
  }
}

export interface SecretJson {
  readonly type: string
  readonly data: Record<string, string>
  readonly metadata: { readonly ownerReferences?: ReadonlyArray<{ readonly uid: string; readonly kind: string }> }
}

export const organization = "e2e-org"
export const token = randomBytes(16).toString("hex")

export interface Rig {
  readonly scope: Scope.CloseableScope
  readonly sim: QuaySimulator.RunningSimulator
  readonly namespace: string
  operator: OperatorProcess
}

export interface RigOptions {
  readonly latencyMs?: number
  /** Where the operator sends its Quay requests, when not straight to the simulator (a recording proxy). */
  readonly quayApiUrl?: (sim: QuaySimulator.RunningSimulator) => Promise<string>
  /** More of the operator's environment. */
  readonly env?: Record<string, string>
}

export const newNamespace = async () => {
  const name = `e2e-${randomBytes(4).toString("hex")}`
  await kubectl(["create", "namespace", name])
  return name
}

export const launch = (
  name: string,
  sim: QuaySimulator.RunningSimulator,
  namespace: string,
  options: { readonly apiUrl?: string; readonly env?: Record<string, string> } = {}
) =>
  startOperator(name, {
    KUBECONFIG: kubeconfigPath(),
    WATCH_NAMESPACE: namespace,
    QUAY_API_URL: options.apiUrl ?? sim.apiUrl,
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
    HEALTH_PORT: "0",
    ...options.env
  })

export const startRig = async (name: string, options: RigOptions = {}): Promise<Rig> => {
  const scope = await Effect.runPromise(Scope.make())
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
  return { scope, sim, namespace, operator: launch(name, sim, namespace, { apiUrl, ...(options.env === undefined ? {} : { env: options.env }) }) }
}

/** Objects go while their operator still runs, so finalizers are released and the namespace can terminate. */
export const stopRig = async (rig: Rig) => {
  await kubectl(["delete", "imagerepositories", "--all", "-n", rig.namespace, "--wait=true", "--timeout=60s"])
  await rig.operator.stop("SIGTERM")
  await Effect.runPromise(Scope.close(rig.scope, Exit.void))
  await kubectl(["delete", "namespace", rig.namespace, "--wait=false"])
}

export const applyYaml = (yaml: string) => kubectl(["apply", "-f", "-"], yaml)

export const imageRepository = (namespace: string, name: string, body = "") =>
  `apiVersion: appstudio.redhat.com/v1alpha1
kind: ImageRepository
metadata:
  name: ${name}
  namespace: ${namespace}
${body}`

export const serviceAccount = (namespace: string, name: string) =>
  `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: ${namespace}
`

export const get = (namespace: string, name: string) => getJson<ImageRepositoryJson>("imagerepository", namespace, name)

export const ready = (
  namespace: string,
  name: string,
  also: (ir: ImageRepositoryJson) => boolean = () => true,
  timeoutMs?: number
) =>
  eventually(`${namespace}/${name} ready`, async () => {
    const ir = await get(namespace, name)
    return ir?.status?.state === "ready" && also(ir) ? ir : undefined
  }, timeoutMs)

export const mergePatch = (namespace: string, name: string, patch: unknown) =>
  kubectl(["patch", "imagerepository", name, "-n", namespace, "--type", "merge", "-p", JSON.stringify(patch)])

/** The Secret names a ServiceAccount lists; undefined when it does not exist. */
export const linksOf = async (namespace: string, name: string) => {
  const sa = await getJson<{ secrets?: Array<{ name: string }>; imagePullSecrets?: Array<{ name: string }> }>(
    "serviceaccount",
    namespace,
    name
  )
  return sa === undefined
    ? undefined
    : { secrets: (sa.secrets ?? []).map((s) => s.name), pulls: (sa.imagePullSecrets ?? []).map((s) => s.name) }
}

/** The robot name and token a dockerconfigjson Secret holds for an image path. */
export const credentialsIn = async (namespace: string, secretName: string, imagePath: string) => {
  const secret = await getJson<SecretJson>("secret", namespace, secretName)
  if (secret === undefined) return { secret, auth: undefined, username: "", robotToken: "" }
  const document = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"] ?? "", "base64").toString())
  const auth: string = Buffer.from(document.auths[imagePath]?.auth ?? "", "base64").toString()
  return { secret, auth, username: auth.slice(0, auth.indexOf(":")), robotToken: auth.slice(auth.indexOf(":") + 1) }
}
