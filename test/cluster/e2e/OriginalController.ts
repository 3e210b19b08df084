/**
 * What konflux-ci's Go image-controller leaves behind for an ImageRepository it provisioned, written from its
 * documented behaviour (the upstream inventory at 17b36a2): the object with its finalizer, annotation, defaulted spec
 * and status; its push and pull Secrets (label `appstudio.redhat.com/internal`, owned by the object in its own group,
 * no labels of this operator); the shared `components-namespace-pull` Secret; and in Quay, through Quay's API as the
 * original calls it, the repository with the original's description, random-suffixed push and pull robots with their
 * grants, and the namespace robot with read on every repository of the namespace.
 */
import { randomBytes } from "node:crypto"

export const originalFinalizer = "appstudio.openshift.io/image-repository"
export const originalDescription = "AppStudio repository for the user"
export const ensuredAnnotation = "image-controller.appstudio.redhat.com/namespace-pull-secret-ensured"
export const skipDeletionAnnotation = "image-controller.appstudio.redhat.com/skip-repository-deletion"
export const namespacePullSecret = "components-namespace-pull"

export type Group = "appstudio.redhat.com" | "konflux-ci.dev"

export interface OriginalObject {
  readonly group: Group
  readonly name: string
  /** The Component of a component repository (its labels); none for a general-purpose one. */
  readonly component?: { readonly name: string; readonly application: string } | undefined
  readonly annotations?: Record<string, string> | undefined
}

/** `-image-push` in the original group, `-img-push` in konflux-ci.dev, as the original names them. */
export const secretNameOf = (object: OriginalObject, role: "push" | "pull"): string =>
  `${object.name}${object.group === "konflux-ci.dev" ? "-img" : "-image"}-${role}`

/** `<namespace>/<component>` for a component repository, `<namespace>/<name>` otherwise (its default at HEAD). */
export const repositoryOf = (namespace: string, object: OriginalObject): string =>
  `${namespace}/${object.component?.name ?? object.name}`

/** The original's random robot name: the path with `/ . -` made `_`, `_` and 10 random hex, `_pull` for pull. */
export const originalRobotName = (repository: string, role: "push" | "pull"): string =>
  `${repository.slice(0, 220).replace(/[/.-]/g, "_")}_${randomBytes(5).toString("hex")}${role === "pull" ? "_pull" : ""}`
    .replace(/_+/g, "_")

export const namespaceRobotName = (namespace: string, clusterUid: string): string =>
  `${namespace}_${clusterUid}`.replace(/[/.-]/g, "_")

/** What a user configured that the original synced to Quay's notifications. */
export const notificationsSpec = [
  { title: "build-pushed", event: "repo_push", method: "webhook", config: { url: "https://hooks.example.com/pushed" } },
  { title: "mail-team", event: "repo_push", method: "email", config: { email: "team@example.com" } }
] as const

export const notificationsStatus = [
  { title: "build-pushed", uuid: "1f0c3c5e-7a1b-4f6e-9d2a-3b4c5d6e7f80" },
  { title: "mail-team", uuid: "2a1d4d6f-8b2c-4a7f-8e3b-4c5d6e7f8091" }
] as const

/** A Quay request as the original's client makes it, with the organization's token. */
export const quayCall = async (apiUrl: string, token: string, method: string, path: string, body?: unknown) => {
  const answer = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`)
  return answer.status === 204 ? {} : (await answer.json()) as { readonly name?: string; readonly token?: string }
}

export interface SeededRobots {
  readonly push: { readonly shortName: string; readonly name: string; readonly token: string }
  readonly pull: { readonly shortName: string; readonly name: string; readonly token: string }
}

/** The original's provisioning calls for one object: repository, robots, their grants, the namespace robot's read. */
export const seedQuay = async (
  quay: { readonly apiUrl: string; readonly token: string; readonly organization: string },
  repository: string,
  namespaceRobot: string
): Promise<SeededRobots> => {
  const call = (method: string, path: string, body?: unknown) => quayCall(quay.apiUrl, quay.token, method, path, body)
  await call("POST", "/repository", {
    namespace: quay.organization,
    visibility: "public",
    repository,
    description: originalDescription
  })
  const robot = async (role: "push" | "pull") => {
    const shortName = originalRobotName(repository, role)
    const created = await call("PUT", `/organization/${quay.organization}/robots/${shortName}`, {
      description: "Robot account for Konflux Component"
    })
    const name = `${quay.organization}+${shortName}`
    await call("PUT", `/repository/${quay.organization}/${repository}/permissions/user/${name}`, {
      role: role === "push" ? "write" : "read"
    })
    return { shortName, name, token: created.token ?? "" }
  }
  const push = await robot("push")
  const pull = await robot("pull")
  await call("PUT", `/repository/${quay.organization}/${repository}/permissions/user/${quay.organization}+${namespaceRobot}`, {
    role: "read"
  })
  return { push, pull }
}

export const dockerConfig = (imagePath: string, username: string, token: string): string =>
  Buffer.from(
    JSON.stringify({ auths: { [imagePath]: { auth: Buffer.from(`${username}:${token}`).toString("base64") } } })
  ).toString("base64")

/** The object as the original's Update leaves it (metadata and spec); status goes through the subresource. */
export const objectManifest = (namespace: string, object: OriginalObject, repository: string, componentUid?: string) => ({
  apiVersion: `${object.group}/v1alpha1`,
  kind: "ImageRepository",
  metadata: {
    name: object.name,
    namespace,
    finalizers: [originalFinalizer],
    annotations: { [ensuredAnnotation]: "true", ...object.annotations },
    ...(object.component === undefined ? {} : {
      labels: {
        "appstudio.redhat.com/component": object.component.name,
        "appstudio.redhat.com/application": object.component.application
      },
      ownerReferences: [{
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "Component",
        name: object.component.name,
        uid: componentUid ?? ""
      }]
    })
  },
  spec: {
    // The computed full name, written because the user gave none; visibility defaulted to public.
    image: { name: repository, visibility: "public" },
    notifications: notificationsSpec
  }
})

export const statusOf = (object: OriginalObject, imageUrl: string, robots: SeededRobots) => ({
  state: "ready",
  image: { url: imageUrl, visibility: "public" },
  credentials: {
    generationTimestamp: "2026-06-30T08:15:00Z",
    "push-robot-account": robots.push.shortName,
    "push-secret": secretNameOf(object, "push"),
    "pull-robot-account": robots.pull.shortName,
    "pull-secret": secretNameOf(object, "pull")
  },
  notifications: notificationsStatus
})

/** A push or pull Secret as the original's EnsureSecret creates it. */
export const robotSecretManifest = (
  namespace: string,
  object: OriginalObject,
  uid: string,
  role: "push" | "pull",
  imageUrl: string,
  robot: SeededRobots["push"]
) => ({
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/dockerconfigjson",
  metadata: {
    name: secretNameOf(object, role),
    namespace,
    labels: { "appstudio.redhat.com/internal": "true" },
    ownerReferences: [{ apiVersion: `${object.group}/v1alpha1`, kind: "ImageRepository", name: object.name, uid }]
  },
  data: { ".dockerconfigjson": dockerConfig(imageUrl, robot.name, robot.token) }
})

export const namespaceSecretManifest = (namespace: string, imagePath: string, username: string, token: string) => ({
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/dockerconfigjson",
  metadata: { name: namespacePullSecret, namespace, labels: { "appstudio.redhat.com/internal": "true" } },
  data: { ".dockerconfigjson": dockerConfig(imagePath, username, token) }
})
