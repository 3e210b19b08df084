/**
 * The soak's random driver: creates and edits ImageRepositories (general-purpose and component ones) and legacy
 * Components as users and their tools would, through the real apiserver as the admin: names, visibility,
 * regenerate-token, verify-linking, Secret deletions (of ImageRepositories), unlinks from the pipeline ServiceAccount, status tampering
 * (naming another object's robot, Secret or another namespace's repository), object deletions. Every choice comes
 * from the seeded generator; it runs until its deadline or its budget of operations, whichever comes first.
 */
import { deleteImageRepoAnnotation, generateAnnotation } from "../src/domain/Component.ts"
import { getJson, kubectl } from "../test/cluster/e2e/kubectl.ts"
import { applyYaml, componentLabels, imageRepository, mergePatch } from "../test/cluster/e2e/Rig.ts"
import type { ImageRepositoryObject, ServiceAccountObject } from "./Observation.ts"
import type { SeededRandom } from "./SeededRandom.ts"

export interface DriverOptions {
  readonly namespace: string
  readonly pipelineAccount: string
  readonly random: SeededRandom
  readonly deadline: number
  readonly maxOperations: number
  /** At most this many live objects of each kind, so a long run stays bounded. */
  readonly maxImageRepositories: number
  readonly maxComponents: number
}

export interface DriverReport {
  /** Operations by kind: how many were sent, and how many the apiserver refused (e.g. the object was gone). */
  readonly operations: Readonly<Record<string, { sent: number; refused: number }>>
  readonly total: number
}

const visibilities = ["public", "private"] as const
/** A small pool, so objects collide on names (a second claim on a repository) now and then. */
const imageNames = ["shared", "team/app", "team/tools", "deep/er/path"]

interface Live {
  readonly imageRepositories: Array<string>
  readonly components: Array<string>
}

export const runDriver = async (options: DriverOptions): Promise<DriverReport> => {
  const { namespace: ns, random } = options
  const operations: Record<string, { sent: number; refused: number }> = {}
  const live: Live = { imageRepositories: [], components: [] }
  let serial = 0
  let total = 0

  const anyRepository = () => random.pick(live.imageRepositories)
  const anyComponent = () => random.pick(live.components)
  const getRepository = (name: string) => getJson<ImageRepositoryObject>("imagerepository", ns, name)

  /** Each kind of operation; `undefined` when it has nothing to act on now (another is drawn). */
  const kinds: Record<string, () => Promise<unknown> | undefined> = {
    "create ImageRepository": () => {
      if (live.imageRepositories.length >= options.maxImageRepositories) return undefined
      const name = `ir-${++serial}`
      live.imageRepositories.push(name)
      const image = random.chance(0.5) ? `    name: ${random.pick(imageNames) ?? "shared"}\n` : ""
      const visibility = random.chance(0.6) ? `    visibility: ${random.pick(visibilities) ?? "public"}\n` : ""
      const spec = image + visibility === "" ? "" : `spec:\n  image:\n${image}${visibility}`
      return applyYaml(imageRepository(ns, name, spec))
    },
    "create component ImageRepository": () => {
      if (live.imageRepositories.length >= options.maxImageRepositories) return undefined
      const name = `cr-${++serial}`
      live.imageRepositories.push(name)
      return applyYaml(imageRepository(ns, name, "", componentLabels(`comp${serial}`, "app")))
    },
    "create legacy Component": () => {
      if (live.components.length >= options.maxComponents) return undefined
      const name = `lc-${++serial}`
      live.components.push(name)
      const annotations: Record<string, string> = {
        [generateAnnotation]: JSON.stringify({ visibility: random.pick(visibilities) }),
        ...(random.chance(0.5) ? { [deleteImageRepoAnnotation]: "true" } : {})
      }
      return applyYaml(`apiVersion: appstudio.redhat.com/v1alpha1
kind: Component
metadata:
  name: ${name}
  namespace: ${ns}
  annotations:
${Object.entries(annotations).map(([k, v]) => `    ${k}: '${v}'`).join("\n")}
spec:
  application: legacy-app
  componentName: ${name}
`)
    },
    "set visibility": () => {
      const name = anyRepository()
      return name === undefined ? undefined : mergePatch(ns, name, { spec: { image: { visibility: random.pick(visibilities) } } })
    },
    "rename": () => {
      const name = anyRepository()
      return name === undefined ? undefined : mergePatch(ns, name, { spec: { image: { name: `renamed-${serial}` } } })
    },
    "regenerate-token": () => {
      const name = anyRepository()
      return name === undefined ? undefined : mergePatch(ns, name, { spec: { credentials: { "regenerate-token": true } } })
    },
    "verify-linking": () => {
      const name = anyRepository()
      return name === undefined ? undefined : mergePatch(ns, name, { spec: { credentials: { "verify-linking": true } } })
    },
    "toggle Component visibility": () => {
      const name = anyComponent()
      const visibility = random.pick(visibilities)
      return name === undefined ? undefined : kubectl([
        "annotate", "component", name, "-n", ns, "--overwrite", `${generateAnnotation}=${JSON.stringify({ visibility })}`
      ])
    },
    // An ImageRepository's Secrets only: the legacy flow answers a request once and, as the original and the spec
    // have it, does not re-create a Secret deleted afterwards (a 15-minute soak showed it).
    "delete Secret": () => {
      const owner = anyRepository()
      if (owner === undefined) return undefined
      return kubectl(["delete", "secret", `${owner}-image-${random.chance(0.7) ? "push" : "pull"}`, "-n", ns, "--wait=false"])
    },
    "unlink from ServiceAccount": async () => {
      const account = await getJson<ServiceAccountObject>("serviceaccount", ns, options.pipelineAccount)
      const secrets = account?.secrets ?? []
      const dropped = random.pick(secrets)
      if (dropped === undefined) return undefined
      return kubectl([
        "patch", "serviceaccount", options.pipelineAccount, "-n", ns, "--type", "merge",
        "-p", JSON.stringify({ secrets: secrets.filter((s) => s !== dropped) })
      ])
    },
    "tamper with status": async () => {
      const victim = anyRepository()
      const other = anyRepository()
      if (victim === undefined || other === undefined) return undefined
      const donor = await getRepository(other)
      const credentials = donor?.status?.credentials ?? {}
      const patches = [
        { credentials: { "push-robot-account": credentials["push-robot-account"] ?? "someone_else_robot" } },
        { credentials: { "push-secret": credentials["push-secret"] ?? `${other}-image-push` } },
        { credentials: { "pull-robot-account": credentials["pull-robot-account"] ?? "someone_else_robot_pull" } },
        { image: { url: `quay.io/e2e-org/not-${ns}/stolen` } }
      ]
      return kubectl([
        "patch", "imagerepository", victim, "-n", ns, "--subresource=status", "--type", "merge",
        "-p", JSON.stringify({ status: random.pick(patches) })
      ])
    },
    "delete ImageRepository": () => {
      const name = anyRepository()
      if (name === undefined) return undefined
      live.imageRepositories.splice(live.imageRepositories.indexOf(name), 1)
      return kubectl(["delete", "imagerepository", name, "-n", ns, "--wait=false"])
    },
    "delete Component": () => {
      const name = anyComponent()
      if (name === undefined) return undefined
      live.components.splice(live.components.indexOf(name), 1)
      return kubectl(["delete", "component", name, "-n", ns, "--wait=false"])
    }
  }
  /** How often each is drawn: creation and edits more than destruction, so the population stays up. */
  const weights: ReadonlyArray<readonly [string, number]> = [
    ["create ImageRepository", 8], ["create component ImageRepository", 5], ["create legacy Component", 3],
    ["set visibility", 6], ["rename", 2], ["regenerate-token", 4], ["verify-linking", 3],
    ["toggle Component visibility", 2], ["delete Secret", 4], ["unlink from ServiceAccount", 3],
    ["tamper with status", 4], ["delete ImageRepository", 3], ["delete Component", 1]
  ]
  const totalWeight = weights.reduce((n, [, w]) => n + w, 0)
  const draw = (): string => {
    let at = random.next() * totalWeight
    for (const [kind, weight] of weights) {
      at -= weight
      if (at < 0) return kind
    }
    return weights[0]?.[0] ?? ""
  }

  while (Date.now() < options.deadline && total < options.maxOperations) {
    const kind = draw()
    const attempt = kinds[kind]?.()
    if (attempt !== undefined) {
      total += 1
      const count = (operations[kind] ??= { sent: 0, refused: 0 })
      count.sent += 1
      try {
        // An unlink finds nothing to unlink only once it has read the account: then it was no operation.
        if ((await attempt) === undefined) {
          count.sent -= 1
          total -= 1
        }
      } catch {
        count.refused += 1
      }
    }
    await new Promise((r) => setTimeout(r, random.between(250, 900)))
  }
  return { operations, total }
}
