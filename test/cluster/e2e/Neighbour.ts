/**
 * Another tenant, staged by hand next to a rig: a namespace with its own Quay repository, robot (marked as the
 * operator marks its own), push Secret and build ServiceAccount. Hostile inputs in the rig's namespace must leave
 * every part of it exactly as it was.
 */
import { getJson, kubectl } from "./kubectl.ts"
import { newNamespace, organization, type Rig, type SecretJson } from "./Rig.ts"

export interface Neighbour {
  readonly namespace: string
  readonly uid: string
  /** `<namespace>/victim` */
  readonly repository: string
  readonly robot: string
  readonly imageUrl: string
}

const quayCall = async (rig: Rig, method: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
  const response = await fetch(`${rig.sim.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${rig.token}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`staging the neighbour: ${method} ${path}: HTTP ${response.status}`)
  const text = await response.text()
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>)
}

export const stageNeighbour = async (rig: Rig): Promise<Neighbour> => {
  const namespace = await newNamespace()
  const uid = "0d0d0d0d-0000-4000-8000-00000000beef"
  const repository = `${namespace}/victim`
  const robot = `${namespace.replace(/-/g, "_")}_victim_0123456789`
  const mark = `Managed by image-repository-operator for ImageRepository ${namespace}/victim (uid ${uid})`
  await quayCall(rig, "POST", "/repository", { namespace: organization, repository, visibility: "private", description: mark })
  const created = await quayCall(rig, "PUT", `/organization/${organization}/robots/${robot}`, { description: mark })
  await quayCall(rig, "PUT", `/repository/${organization}/${repository}/permissions/user/${organization}+${robot}`, { role: "write" })
  const imageUrl = `${rig.sim.registryHost}/${organization}/${repository}`
  const auth = Buffer.from(`${organization}+${robot}:${String(created["token"])}`).toString("base64")
  await kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "victim-image-push", namespace },
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths: { [imageUrl]: { auth } } })).toString("base64") }
      },
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "build-pipeline-victim", namespace },
        secrets: [{ name: "victim-image-push" }]
      }
    ]
  }))
  return { namespace, uid, repository, robot, imageUrl }
}

/** Everything of the neighbour's that an attack could change, to compare before and after. */
export const neighbourState = async (rig: Rig, neighbour: Neighbour) => {
  const snapshot = rig.sim.model.snapshot()
  const secret = await getJson<SecretJson & { metadata: { resourceVersion: string } }>(
    "secret",
    neighbour.namespace,
    "victim-image-push"
  )
  const serviceAccount = await getJson<{ metadata: { resourceVersion: string }; secrets?: unknown }>(
    "serviceaccount",
    neighbour.namespace,
    "build-pipeline-victim"
  )
  const events = JSON.parse(await kubectl(["get", "events", "-n", neighbour.namespace, "-o", "json"])) as {
    readonly items: ReadonlyArray<unknown>
  }
  return {
    repository: snapshot.repositories.find((r) => r.name === neighbour.repository),
    robot: snapshot.robots.find((r) => r.shortName === neighbour.robot),
    robotToken: rig.sim.model.robotToken(neighbour.robot),
    secret: { resourceVersion: secret?.metadata.resourceVersion, data: secret?.data },
    serviceAccount: { resourceVersion: serviceAccount?.metadata.resourceVersion, secrets: serviceAccount?.secrets },
    events: events.items.length
  }
}
