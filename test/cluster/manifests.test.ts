/**
 * The install, as a platform team runs it: `make deploy` (config/default through kubectl's kustomize) against
 * the real apiserver, the samples, the CRD's refusals as kubectl prints them, and the Grafana dashboard.
 * The CRD stays installed afterwards: other test files share this cluster and need it.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"
import { kubectl, kubectlForMake, type ObjectJson, render, run, succeeded } from "./manifests/run.ts"
import { deleteTestNamespaces, freshNamespace, liveLayer } from "./support.ts"

const namespace = "image-controller-system"
const image = "registry.example.com/team/image-repository-operator:v1.2.3"

/** Every object `make deploy` made, but the CRD, goes afterwards (a namespace takes its contents with it). */
afterAll(async () => {
  const objects = (await render("config/default")).filter((o) => o.kind !== "CustomResourceDefinition")
  await kubectl(["delete", "--ignore-not-found", "--wait=false", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }))
  await kubectl(["delete", "namespace", "test-ns", "--ignore-not-found", "--wait=false"])
  await Effect.runPromise(deleteTestNamespaces.pipe(Effect.provide(liveLayer())))
})

const key = (o: ObjectJson): string => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`

interface DeploymentJson {
  readonly spec: {
    readonly replicas: number
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string> }
      readonly spec: {
        readonly securityContext: Record<string, unknown>
        readonly containers: ReadonlyArray<{
          readonly image: string
          readonly env: ReadonlyArray<{ readonly name: string; readonly value?: string; readonly valueFrom?: Record<string, unknown> }>
          readonly securityContext: Record<string, unknown>
          readonly resources: { readonly requests: Record<string, string>; readonly limits: Record<string, string> }
          readonly volumeMounts: ReadonlyArray<{ readonly name: string; readonly mountPath: string; readonly readOnly?: boolean }>
        }>
        readonly volumes: ReadonlyArray<{ readonly name: string; readonly secret?: { readonly secretName: string } }>
      }
    }
  }
}

const getJson = async <A>(args: ReadonlyArray<string>): Promise<A> =>
  JSON.parse(succeeded(await kubectl(["get", ...args, "-o", "json"])).stdout) as A

/** Mebibytes of a quantity such as 256Mi. */
const mebibytes = (quantity: string | undefined): number => {
  const match = /^(\d+)Mi$/.exec(quantity ?? "")
  if (match === null) throw new Error(`expected a quantity in Mi, got ${quantity}`)
  return Number(match[1])
}

describe("make deploy applies config/default to a real apiserver", () => {
  it("every object is accepted, with the image IMG names and no Pod Security warning", async () => {
    const outcome = succeeded(await run("make", ["deploy", `IMG=${image}`, `KUBECTL=${kubectlForMake()}`]))
    expect(outcome.stderr).not.toContain("PodSecurity")
    const rendered = await render("config/default")
    expect(rendered.map(key).sort()).toEqual([
      "ClusterRole /image-repository-operator",
      "ClusterRoleBinding /image-repository-operator",
      "CustomResourceDefinition /imagerepositories.appstudio.redhat.com",
      "CustomResourceDefinition /imagerepositories.konflux-ci.dev",
      "Deployment image-controller-system/image-repository-operator",
      "Namespace /image-controller-system",
      "PodDisruptionBudget image-controller-system/image-repository-operator",
      "Role image-controller-system/image-repository-operator-leader-election",
      "RoleBinding image-controller-system/image-repository-operator-leader-election",
      "Service image-controller-system/image-repository-operator-metrics",
      "ServiceAccount image-controller-system/image-repository-operator"
    ])
    const list = JSON.parse(
      succeeded(await kubectl(["get", "-o", "json", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: rendered }))).stdout
    ) as { readonly items: ReadonlyArray<ObjectJson> }
    expect(list.items.map(key).sort()).toEqual(rendered.map(key).sort())
    const deployment = await getJson<DeploymentJson>(["deployment", "image-repository-operator", "-n", namespace])
    expect(deployment.spec.template.spec.containers[0]?.image).toBe(image)
  })

  it("the Deployment: hardened, sized, leader election on, quaytoken mounted as files", async () => {
    const deployment = await getJson<DeploymentJson>(["deployment", "image-repository-operator", "-n", namespace])
    const pod = deployment.spec.template.spec
    const [container] = pod.containers
    if (container === undefined) throw new Error("the Deployment has no container")
    expect(deployment.spec.replicas).toBe(2)
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } })
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] }
    })
    expect(container.resources.requests["memory"]).toBe("160Mi")
    expect(container.resources.limits["memory"]).toBe("256Mi")

    const env = new Map(container.env.map((e) => [e.name, e]))
    expect(env.get("LEADER_ELECTION")?.value).toBe("true")
    expect(env.get("POD_NAME")?.valueFrom).toEqual({ fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } })
    expect(env.get("POD_NAMESPACE")?.valueFrom).toEqual({ fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } })
    expect(env.get("METRICS_PORT")?.value).toBe("8080")
    // The heap V8 may grow to (old space plus three semi-spaces) leaves room under the limit for the rest.
    const nodeOptions = env.get("NODE_OPTIONS")?.value ?? ""
    const flag = (name: string) => Number(new RegExp(`--${name}=(\\d+)`).exec(nodeOptions)?.[1] ?? Number.NaN)
    const heap = flag("max-old-space-size") + 3 * flag("max-semi-space-size")
    expect(heap).toBeGreaterThan(0)
    expect(heap).toBeLessThanOrEqual(mebibytes(container.resources.limits["memory"]) - 64)

    // The token is read from files, never from environment variables, so a rotated Secret reaches the process.
    expect(env.get("QUAY_SECRET_MOUNT_POINT")?.value).toBe("/workspace")
    expect(container.env.filter((e) => e.valueFrom !== undefined && "secretKeyRef" in e.valueFrom)).toEqual([])
    const mount = container.volumeMounts.find((m) => m.mountPath === "/workspace")
    expect(mount?.readOnly).toBe(true)
    expect(pod.volumes.find((v) => v.name === mount?.name)?.secret?.secretName).toBe("quaytoken")
  })

  it("its pods meet the namespace's restricted Pod Security level (a server-side dry run of one)", async () => {
    const deployment = await getJson<DeploymentJson>(["deployment", "image-repository-operator", "-n", namespace])
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "pod-security-probe", namespace, labels: deployment.spec.template.metadata.labels },
      spec: deployment.spec.template.spec
    }
    const outcome = await kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(pod))
    expect(outcome.stderr).toBe("")
    expect(outcome.code).toBe(0)
    // The same check refuses a pod that asks for more.
    const root = { ...pod, spec: { ...pod.spec, securityContext: { ...pod.spec.securityContext, runAsNonRoot: false } } }
    const refused = await kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(root))
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('violates PodSecurity "restricted:latest"')
  })

  it("the metrics Service and the PodDisruptionBudget select the operator's pods", async () => {
    const deployment = await getJson<DeploymentJson>(["deployment", "image-repository-operator", "-n", namespace])
    const podLabels = deployment.spec.template.metadata.labels
    const service = await getJson<{
      readonly spec: {
        readonly selector: Record<string, string>
        readonly ports: ReadonlyArray<{ readonly name: string; readonly port: number; readonly targetPort: unknown }>
      }
    }>(["service", "image-repository-operator-metrics", "-n", namespace])
    expect(podLabels).toMatchObject(service.spec.selector)
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: "metrics", port: 8080, targetPort: "metrics" })])
    const pdb = await getJson<{ readonly spec: { readonly minAvailable: number; readonly selector: { readonly matchLabels: Record<string, string> } } }>(
      ["poddisruptionbudget", "image-repository-operator", "-n", namespace]
    )
    expect(pdb.spec.minAvailable).toBe(1)
    expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels)
  })

  it("make install, uninstall and undeploy reach the apiserver (the last two as a server-side dry run)", async () => {
    expect(succeeded(await run("make", ["install", `KUBECTL=${kubectlForMake()}`])).stdout).toContain(
      "customresourcedefinition.apiextensions.k8s.io/imagerepositories.appstudio.redhat.com"
    )
    const dryRun = `KUBECTL=${kubectlForMake("--dry-run=server")}`
    expect(succeeded(await run("make", ["uninstall", dryRun])).stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io "imagerepositories.appstudio.redhat.com" deleted (server dry run)'
    )
    const undeploy = succeeded(await run("make", ["undeploy", dryRun])).stdout
    expect(undeploy).toContain(`namespace "${namespace}" deleted (server dry run)`)
    expect(undeploy).toContain('deployment.apps "image-repository-operator" deleted (server dry run)')
  })
})

describe("config/samples", () => {
  const samples = Fs.readdirSync(Path.join(projectRoot, "config", "samples")).filter((f) => f.endsWith(".yaml")).sort()

  it("one sample for each of the spec's ImageRepository examples", () => {
    expect(samples).toEqual([
      "imagerepository-custom-name.yaml",
      "imagerepository-for-component.yaml",
      "imagerepository-private.yaml",
      "imagerepository.yaml"
    ])
  })

  it("every sample is accepted by the CRD, its spec and labels kept as written", async () => {
    for (const sample of samples) {
      const file = Path.join("config", "samples", sample)
      const applied = succeeded(await kubectl(["apply", "-o", "json", "-f", file]))
      const objects = JSON.parse(applied.stdout) as { readonly items: ReadonlyArray<ObjectJson> }
      const repositories = objects.items.filter((o) => o.kind === "ImageRepository")
      expect(repositories.length, sample).toBe(1)
      const written = (await render(file)).find((o) => o.kind === "ImageRepository")
      expect(repositories[0]?.["spec"], sample).toEqual(written?.["spec"])
      expect(repositories[0]?.metadata.labels, sample).toEqual(written?.metadata.labels)
      const [repository] = repositories
      succeeded(await kubectl(["delete", "imagerepository", repository?.metadata.name ?? "", "-n", repository?.metadata.namespace ?? ""]))
    }
  })
})

describe("the CRD refuses bad names and visibilities with clear messages", () => {
  const attempt = async (metadataName: string, spec: unknown) => {
    const ns = await Effect.runPromise(freshNamespace.pipe(Effect.provide(liveLayer())))
    const object = { apiVersion: "appstudio.redhat.com/v1alpha1", kind: "ImageRepository", metadata: { name: metadataName, namespace: ns }, spec }
    return kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(object))
  }

  it("a visibility other than public or private", async () => {
    const outcome = await attempt("repo", { image: { visibility: "secret" } })
    expect(outcome.code).not.toBe(0)
    expect(outcome.stderr).toContain('spec.image.visibility: Unsupported value: "secret": supported values: "public", "private"')
  })

  it("a repository name that is not lowercase path segments", async () => {
    const outcome = await attempt("repo", { image: { name: "My Repo!" } })
    expect(outcome.code).not.toBe(0)
    expect(outcome.stderr).toContain(
      `spec.image.name: Invalid value: "My Repo!": spec.image.name in body should match '^[a-z0-9][.a-z0-9_-]*(/[a-z0-9][.a-z0-9_-]*)*$'`
    )
  })

  it("a repository name longer than Quay allows", async () => {
    const outcome = await attempt("repo", { image: { name: "a".repeat(256) } })
    expect(outcome.code).not.toBe(0)
    expect(outcome.stderr).toContain("spec.image.name: Too long: may not be more than 255 bytes")
  })

  it("an object name that is not a DNS subdomain", async () => {
    const outcome = await attempt("My_Repo", {})
    expect(outcome.code).not.toBe(0)
    expect(outcome.stderr).toContain(
      `metadata.name: Invalid value: "My_Repo": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters`
    )
  })

  it("a good one passes the same check", async () => {
    const outcome = await attempt("repo", { image: { name: "team/app.v2_x-y", visibility: "private" } })
    expect(outcome.stderr).toBe("")
    expect(outcome.stdout).toContain("imagerepository.appstudio.redhat.com/repo created (server dry run)")
  })
})

describe("the Grafana dashboard", () => {
  it("renders as a labelled ConfigMap that the apiserver accepts", async () => {
    const objects = await render("config/monitoring/grafana-dashboards")
    expect(objects.map(key)).toEqual(["ConfigMap grafana-operator-system/image-repository-operator-dashboard"])
    const [configMap] = objects
    expect(configMap?.metadata.labels?.["grafana_dashboard"]).toBe("1")
    const data = configMap?.["data"] as Record<string, string> | undefined
    expect(JSON.parse(data?.["image-repository-operator.json"] ?? "{}").uid).toBe("image-repository-operator")
    const dashboards = { apiVersion: "v1", kind: "Namespace", metadata: { name: "grafana-operator-system" } }
    succeeded(await kubectl(["apply", "-f", "-"], JSON.stringify(dashboards)))
    try {
      const applied = succeeded(await kubectl(["apply", "-k", "config/monitoring/grafana-dashboards"]))
      expect(applied.stdout).toContain("configmap/image-repository-operator-dashboard created")
    } finally {
      await kubectl(["delete", "namespace", "grafana-operator-system", "--wait=false"])
    }
  })
})
