/**
 * The chaos soak's invariants catch what they claim to: each kind of damage, made on purpose in an observation that
 * is otherwise healthy, is counted under its name, and the healthy one counts nothing.
 */
import { describe, expect, it } from "vitest"
import { repositoryDescription, robotDescription } from "../../src/domain/Ownership.ts"
import { robotFullName, robotShortName } from "../../src/domain/RobotName.ts"
import { checkInvariants } from "../../soak/Invariants.ts"
import type { Observation, SecretObject } from "../../soak/Observation.ts"

const org = "e2e-org"
const ns = "tenant"
const host = "127.0.0.1:1"

const meta = (name: string, uid: string) => ({ namespace: ns, name, uid })
const robot = (name: string, uid: string) => {
  const shortName = robotShortName(meta(name, uid), "push", org)
  return { name: robotFullName(org, shortName), shortName, description: robotDescription(meta(name, uid)), token: `TOKEN-${uid}` }
}
const dockerSecret = (name: string, ownerUid: string, path: string, username: string, token: string): SecretObject => ({
  metadata: {
    name,
    uid: `secret-${name}`,
    labels: { "app.kubernetes.io/managed-by": "image-repository-operator" },
    ownerReferences: [{ uid: ownerUid, kind: "ImageRepository" }]
  },
  type: "kubernetes.io/dockerconfigjson",
  data: {
    ".dockerconfigjson": Buffer.from(JSON.stringify({
      auths: { [path]: { auth: Buffer.from(`${username}:${token}`).toString("base64") } }
    })).toString("base64")
  }
})
const ready = (name: string, uid: string) => ({
  metadata: { name, uid, generation: 1 },
  spec: { image: { visibility: "public" } },
  status: {
    state: "ready",
    image: { url: `${host}/${org}/${ns}/${name}`, visibility: "public" },
    conditions: [{ type: "Ready", status: "True", observedGeneration: 1 }]
  }
})

/** Two ready general-purpose ImageRepositories, each with its repository, robot and Secret. */
const healthy = (): Observation => {
  const a = robot("a", "uid-a")
  const b = robot("b", "uid-b")
  return {
    imageRepositories: [ready("a", "uid-a"), ready("b", "uid-b")],
    components: [],
    secrets: [
      dockerSecret("a-image-push", "uid-a", `${host}/${org}/${ns}/a`, a.name, a.token),
      dockerSecret("b-image-push", "uid-b", `${host}/${org}/${ns}/b`, b.name, b.token)
    ],
    serviceAccounts: [],
    quay: {
      repositories: ["a", "b"].map((name) => ({
        namespace: org,
        name: `${ns}/${name}`,
        visibility: "public",
        description: repositoryDescription(meta(name, `uid-${name}`)),
        permissions: { [robot(name, `uid-${name}`).name]: "write" }
      })),
      robots: [a, b].map(({ token: _token, ...r }) => r),
      requests: { total: 0 },
      faultsInjected: {}
    }
  }
}

/** The grant as the simulator would answer it for this observation: a robot's own token, on its own repository. */
const authorize = (observation: Observation) => async (robotName: string, token: string, repo: string, access: "push" | "pull") => {
  const repository = observation.quay.repositories.find((r) => `${r.namespace}/${r.name}` === repo)
  const role = repository?.permissions[robotName]
  const uid = /\(uid (\S+)\)/.exec(observation.quay.robots.find((r) => r.name === robotName)?.description ?? "")?.[1]
  return token === `TOKEN-${uid ?? ""}` && role !== undefined && (access === "pull" || role !== "read")
}

const check = (observation: Observation) =>
  checkInvariants(observation, { organization: org, pipelineAccount: "appstudio-pipeline", authorize: authorize(observation) })

describe("the soak's invariants", () => {
  it("count nothing in a healthy namespace", async () => {
    const report = await check(healthy())
    expect(report.problems).toEqual([])
    expect(report.objects.ready).toBe(2)
  })

  it("count a Secret holding another object's robot as cross-tenant", async () => {
    const observation = healthy()
    const b = robot("b", "uid-b")
    const report = await check({
      ...observation,
      secrets: [dockerSecret("a-image-push", "uid-a", `${host}/${org}/${ns}/a`, b.name, b.token), observation.secrets[1] as SecretObject]
    })
    expect(report.counts.crossTenant).toBeGreaterThanOrEqual(1)
  })

  it("count a robot no live object accounts for as an orphan, and a missing Secret as lost", async () => {
    const observation = healthy()
    const stray = robot("gone", "uid-gone")
    const report = await check({
      ...observation,
      secrets: [observation.secrets[0] as SecretObject],
      quay: { ...observation.quay, robots: [...observation.quay.robots, { name: stray.name, shortName: stray.shortName, description: stray.description }] }
    })
    expect(report.counts.orphans).toBe(1)
    expect(report.counts.lost).toBe(1)
  })

  it("count a Secret listed twice in a ServiceAccount as a duplicate, and an object being deleted as stuck", async () => {
    const observation = healthy()
    const report = await check({
      ...observation,
      imageRepositories: [
        observation.imageRepositories[0] ?? ready("a", "uid-a"),
        { ...ready("b", "uid-b"), metadata: { name: "b", uid: "uid-b", generation: 1, deletionTimestamp: "2026-11-27T00:00:00Z" } }
      ],
      serviceAccounts: [{ metadata: { name: "pipeline", uid: "sa" }, secrets: [{ name: "a-image-push" }, { name: "a-image-push" }] }]
    })
    expect(report.counts.duplicates).toBe(1)
    expect(report.counts.stuck).toBe(1)
  })

  it("count a ready object whose repository has another visibility in Quay as lost", async () => {
    const observation = healthy()
    const [first, second] = observation.quay.repositories
    const report = await check({
      ...observation,
      quay: { ...observation.quay, repositories: [{ ...(first ?? second), visibility: "private" } as typeof observation.quay.repositories[number], ...(second === undefined ? [] : [second])] }
    })
    expect(report.counts).toEqual({ lost: 1, stuck: 0, duplicates: 0, crossTenant: 0, orphans: 0 })
  })
})
