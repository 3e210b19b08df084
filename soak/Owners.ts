/**
 * What each live object of the soak should have, read from the apiserver alone: its repository, its visibility,
 * its Secrets (and the access each must grant), the ServiceAccount its push Secret must be linked to, and how many
 * robots it owns. A failed object, or a Component that asked for nothing, owns nothing.
 */
import { generateAnnotation, imageAnnotation } from "../src/domain/Component.ts"
import type { ComponentObject, ImageRepositoryObject } from "./Observation.ts"

export interface Owner {
  readonly kind: "ImageRepository" | "Component"
  readonly name: string
  readonly uid: string
  readonly deleting: boolean
  /** Owns nothing in Quay: failed, or nothing asked for. */
  readonly idle: boolean
  /** Why it is not settled yet (not ready, a one-shot flag pending, a request unanswered); empty when settled. */
  readonly unsettled: ReadonlyArray<string>
  /** The image URL (`<host>/<org>/<path>`) and the repository path under the organization. */
  readonly url?: string
  readonly repository?: string
  readonly visibility?: string
  readonly secrets: ReadonlyArray<{ readonly name: string; readonly access: "push" | "pull" }>
  readonly linkTo?: string
  readonly robots: number
}

const repositoryOf = (url: string | undefined, organization: string): string | undefined => {
  const marker = `/${organization}/`
  const at = url?.indexOf(marker) ?? -1
  return url === undefined || at < 0 ? undefined : url.slice(at + marker.length)
}

export const imageRepositoryOwner = (ir: ImageRepositoryObject, organization: string, pipelineAccount: string): Owner => {
  const base = { kind: "ImageRepository" as const, name: ir.metadata.name, uid: ir.metadata.uid, deleting: ir.metadata.deletionTimestamp !== undefined }
  const state = ir.status?.state
  if (state === "failed") return { ...base, idle: true, unsettled: [], secrets: [], robots: 0 }
  const ready = ir.status?.conditions?.find((c) => c.type === "Ready")
  const flags = Object.entries(ir.spec?.credentials ?? {}).filter(([, on]) => on === true).map(([flag]) => `${flag} pending`)
  const unsettled = [
    ...(state === "ready" ? [] : [`state ${state ?? "none"} (${ir.status?.message ?? ""})`]),
    ...(ready?.status === "True" && ready.observedGeneration === ir.metadata.generation ? [] : ["Ready not observed for this generation"]),
    ...flags,
    ...(ir.spec?.image?.visibility === undefined || ir.spec.image.visibility === ir.status?.image?.visibility
      ? []
      : [`visibility ${ir.status?.image?.visibility ?? "none"} in status, ${ir.spec.image.visibility} asked`])
  ]
  const component = ir.status?.component !== undefined
  const url = ir.status?.image?.url
  const repository = repositoryOf(url, organization)
  return {
    ...base,
    idle: false,
    unsettled,
    ...(url === undefined ? {} : { url }),
    ...(repository === undefined ? {} : { repository }),
    ...(ir.status?.image?.visibility === undefined ? {} : { visibility: ir.status.image.visibility }),
    secrets: [
      { name: `${ir.metadata.name}-image-push`, access: "push" },
      ...(component ? [{ name: `${ir.metadata.name}-image-pull`, access: "pull" as const }] : [])
    ],
    ...(component ? { linkTo: pipelineAccount } : {}),
    robots: component ? 2 : 1
  }
}

interface ImageAnswer {
  readonly image?: string
  readonly visibility?: string
  readonly secret?: string
  readonly message?: string
}

export const componentOwner = (component: ComponentObject, organization: string): Owner => {
  const annotations = component.metadata.annotations ?? {}
  const base = {
    kind: "Component" as const,
    name: component.metadata.name,
    uid: component.metadata.uid,
    deleting: component.metadata.deletionTimestamp !== undefined,
    secrets: [] as Owner["secrets"],
    robots: 0
  }
  const asked = annotations[generateAnnotation]
  const pending = asked !== undefined && asked.trim() !== "false" ? ["image.redhat.com/generate not answered"] : []
  let answer: ImageAnswer = {}
  try {
    answer = JSON.parse(annotations[imageAnnotation] ?? "{}") as ImageAnswer
  } catch {
    return { ...base, idle: true, unsettled: [...pending, "image.redhat.com/image is not JSON"] }
  }
  if (answer.image === undefined) return { ...base, idle: true, unsettled: pending }
  const repository = repositoryOf(answer.image, organization)
  return {
    ...base,
    idle: false,
    unsettled: pending,
    url: answer.image,
    ...(repository === undefined ? {} : { repository }),
    ...(answer.visibility === undefined ? {} : { visibility: answer.visibility }),
    secrets: answer.secret === undefined ? [] : [{ name: answer.secret, access: "push" }],
    robots: 2
  }
}
