/**
 * End to end with a real registry (issue 11): the operator as a real process against the real apiserver and the
 * Quay simulator, whose `/v2/` is a real CNCF distribution registry trusting the simulator's `/v2/auth` tokens.
 * A real client (crane) pushes and pulls a tiny generated image with exactly the credentials of the Secret the
 * operator wrote, picked by its path-scoped `auths` key as the kubelet picks them.
 */
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { Effect, Exit, Scope } from "effect"
import { robotFullName } from "../../src/domain/RobotName.ts"
import * as LocalRegistry from "../../src/simulator/LocalRegistry.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { kubeconfigPath } from "./support.ts"
import { authFor, pull, push } from "./e2e/crane.ts"
import { eventually, getJson, kubectl } from "./e2e/kubectl.ts"
import { type OperatorProcess, startOperator } from "./e2e/OperatorProcess.ts"

interface ImageRepositoryJson {
  readonly metadata: { readonly uid: string }
  readonly spec?: { readonly credentials?: Record<string, boolean> }
  readonly status?: {
    readonly state?: string
    readonly message?: string
    readonly image?: { readonly url?: string }
    readonly credentials?: Record<string, string>
  }
}

const organization = "reg-org"
/** How the registry's refusal reaches crane: a 401 with or without an error body, or a denied scope. */
const refusedByRegistry = /UNAUTHORIZED|DENIED|401 Unauthorized|authentication required|Invalid username or password/
const adminToken = randomBytes(16).toString("hex")
/** An organization token made without "Administer Organization", as a hurried install might. */
const narrowToken = randomBytes(16).toString("hex")

interface Rig {
  readonly scope: Scope.CloseableScope
  readonly sim: QuaySimulator.RunningSimulator
  readonly namespace: string
  readonly operator: OperatorProcess
}

const startRig = async (name: string, token: string): Promise<Rig> => {
  const scope = await Effect.runPromise(Scope.make())
  const binaries = inject("registryBinaries")
  const sim = await Effect.runPromise(
    Effect.gen(function*() {
      const sim = yield* QuaySimulator.start({
        organization,
        token: adminToken,
        tokens: [{ token: narrowToken, scopes: ["repo:admin", "repo:create", "user:read"] }]
      })
      yield* LocalRegistry.start(sim, { dir: binaries, registry: `${binaries}/registry`, crane: `${binaries}/crane` })
      return sim
    }).pipe(Scope.extend(scope))
  )
  const namespace = `reg-${randomBytes(4).toString("hex")}`
  await kubectl(["create", "namespace", namespace])
  const operator = startOperator(`registry-${name}`, {
    KUBECONFIG: kubeconfigPath(),
    WATCH_NAMESPACE: namespace,
    QUAY_API_URL: sim.apiUrl,
    QUAY_ORG: organization,
    QUAY_TOKEN: token,
    LEADER_ELECTION: "false",
    WORKERS: "2",
    HEALTH_PORT: "0",
    // No /metrics: the default port may be taken on a shared machine, and this test reads none.
    METRICS_PORT: "0"
  })
  return { scope, sim, namespace, operator }
}

/**
 * `abandon`: objects the operator's token cannot clean up (it may not delete robots): the operator is stopped first,
 * so it cannot claim them again, and their finalizers are dropped by hand.
 */
const stopRig = async (rig: Rig, options: { readonly abandon?: ReadonlyArray<string> } = {}) => {
  const abandon = options.abandon ?? []
  if (abandon.length > 0) await rig.operator.stop("SIGTERM")
  for (const name of abandon) {
    await kubectl(["patch", "imagerepository", name, "-n", rig.namespace, "--type", "merge", "-p", "{\"metadata\":{\"finalizers\":null}}"])
  }
  await kubectl(["delete", "imagerepositories", "--all", "-n", rig.namespace, "--wait=true", "--timeout=60s"])
  if (abandon.length === 0) await rig.operator.stop("SIGTERM")
  await Effect.runPromise(Scope.close(rig.scope, Exit.void))
  await kubectl(["delete", "namespace", rig.namespace, "--wait=false"])
}

/** An ImageRepository; with `component`, a component repository (the labels), which gets a pull robot and Secret. */
const apply = (
  namespace: string,
  name: string,
  visibility: "public" | "private",
  component?: { readonly component: string; readonly application: string }
) =>
  kubectl(
    ["apply", "-f", "-"],
    `apiVersion: appstudio.redhat.com/v1alpha1
kind: ImageRepository
metadata:
  name: ${name}
  namespace: ${namespace}
${
      component === undefined
        ? ""
        : `  labels:
    appstudio.redhat.com/component: ${component.component}
    appstudio.redhat.com/application: ${component.application}
`
    }spec:
  image:
    visibility: ${visibility}
`
  )

const ready = (namespace: string, name: string, also: (ir: ImageRepositoryJson) => boolean = () => true) =>
  eventually(
    `${namespace}/${name} ready`,
    async () => {
      const ir = await getJson<ImageRepositoryJson>("imagerepository", namespace, name)
      return ir?.status?.state === "ready" && also(ir) ? ir : undefined
    },
    60_000
  )

/** The `.dockerconfigjson` of a Secret the operator wrote. */
const dockerConfigOf = async (namespace: string, secretName: string) => {
  const secret = await getJson<{ readonly data: Record<string, string> }>("secret", namespace, secretName)
  return Buffer.from(secret?.data[".dockerconfigjson"] ?? "", "base64").toString("utf8")
}

/** The image URL of a ready ImageRepository and the `.dockerconfigjson` of the push Secret the operator wrote. */
const provisioned = async (
  rig: Rig,
  name: string,
  visibility: "public" | "private",
  component?: { readonly component: string; readonly application: string }
) => {
  await apply(rig.namespace, name, visibility, component)
  const ir = await ready(rig.namespace, name)
  const image = ir.status?.image?.url ?? ""
  const document = await dockerConfigOf(rig.namespace, ir.status?.credentials?.["push-secret"] ?? "")
  return { ir, image, document, auth: authFor(document, image) }
}

describe("the operator's Secrets open a real registry", () => {
  let rig: Rig

  beforeAll(async () => {
    rig = await startRig("main", adminToken)
  })
  afterAll(async () => {
    await stopRig(rig)
  })

  it("the push Secret pushes and pulls its repository and nothing else", async () => {
    const mine = await provisioned(rig, "pushes", "private")
    const other = await provisioned(rig, "other", "private")
    expect(mine.image).toBe(`${rig.sim.registryHost}/${organization}/${rig.namespace}/pushes`)
    expect(mine.auth).toBeDefined()
    expect((await push(mine.image, mine.auth)).ok).toBe(true)
    expect((await pull(mine.image, mine.auth)).ok).toBe(true)
    // Another ImageRepository's repository, and a repository nobody provisioned: refused.
    expect((await push(other.image, other.auth)).ok).toBe(true)
    const foreign = await push(other.image, mine.auth)
    expect(foreign.ok).toBe(false)
    expect(foreign.output).toMatch(refusedByRegistry)
    expect((await pull(other.image, mine.auth)).ok).toBe(false)
    expect((await push(`${rig.sim.registryHost}/${organization}/${rig.namespace}/unprovisioned`, mine.auth)).ok).toBe(false)
  }, 180_000)

  it("a component repository's pull Secret, as the operator writes it, pulls and cannot push", async () => {
    const repo = await provisioned(rig, "pulled", "private", { component: "pulled-component", application: "my-app" })
    expect(repo.image).toBe(`${rig.sim.registryHost}/${organization}/${rig.namespace}/my-app/pulled-component`)
    // The push Secret puts an image there first, so a pull has something to fetch.
    expect((await push(repo.image, repo.auth)).ok).toBe(true)
    // The operator's own pull Secret: `<name>-image-pull`, recorded in status, of the pull robot (read role).
    expect(repo.ir.status?.credentials?.["pull-secret"]).toBe("pulled-image-pull")
    const pullDocument = await dockerConfigOf(rig.namespace, "pulled-image-pull")
    const auth = authFor(pullDocument, repo.image)
    expect(auth).toBeDefined()
    const username = Buffer.from(auth ?? "", "base64").toString("utf8").split(":")[0]
    expect(username).toBe(robotFullName(organization, repo.ir.status?.credentials?.["pull-robot-account"] ?? ""))
    expect(username).toMatch(/_pull$/)
    expect((await pull(repo.image, auth)).ok).toBe(true)
    const refused = await push(repo.image, auth)
    expect(refused.ok).toBe(false)
    expect(refused.output).toMatch(refusedByRegistry)
  }, 180_000)

  it("after regenerate-token the old credentials are refused and the new ones work", async () => {
    const before = await provisioned(rig, "rotated", "private")
    expect((await push(before.image, before.auth)).ok).toBe(true)
    await kubectl([
      "patch",
      "imagerepository",
      "rotated",
      "-n",
      rig.namespace,
      "--type",
      "merge",
      "-p",
      JSON.stringify({ spec: { credentials: { "regenerate-token": true } } })
    ])
    const after = await eventually("the rotated Secret", async () => {
      const current = await provisioned(rig, "rotated", "private")
      return current.auth !== before.auth ? current : undefined
    }, 60_000)
    const stale = await pull(before.image, before.auth)
    expect(stale.ok).toBe(false)
    expect(stale.output).toMatch(refusedByRegistry)
    expect((await pull(after.image, after.auth)).ok).toBe(true)
    expect((await push(after.image, after.auth)).ok).toBe(true)
  }, 180_000)

  it("a private repository cannot be pulled without credentials; a public one can", async () => {
    const closed = await provisioned(rig, "closed", "private")
    const open = await provisioned(rig, "open", "public")
    expect((await push(closed.image, closed.auth)).ok).toBe(true)
    expect((await push(open.image, open.auth)).ok).toBe(true)
    const anonymousClosed = await pull(closed.image, undefined)
    expect(anonymousClosed.ok).toBe(false)
    expect(anonymousClosed.output).toMatch(refusedByRegistry)
    expect((await pull(open.image, undefined)).ok).toBe(true)
    expect((await push(open.image, undefined)).ok).toBe(false)
  }, 180_000)
})

describe("an organization token created with too few permissions", () => {
  let rig: Rig

  beforeAll(async () => {
    rig = await startRig("narrow", narrowToken)
  })
  afterAll(async () => {
    await stopRig(rig, { abandon: ["refused"] })
  })

  it("is named once at the first Quay call and on the object, by the permission Quay's UI shows", async () => {
    const expected = "it lacks the \"Administer Organization\" permission"
    // The Quay probe (a warning) and the self-check (an error) run side by side: wait for the self-check's line.
    const selfCheck = (log: string) =>
      log.split("\n").find((line) => line.includes(expected) && /ERROR|"level":"ERROR"|level=ERROR/.test(line))
    // Nothing to do yet, nothing asked of Quay: the check waits for the first object.
    expect(selfCheck(rig.operator.log())).toBeUndefined()
    await apply(rig.namespace, "refused", "private")
    await eventually("the self-check at the first Quay call", async () => (selfCheck(rig.operator.log()) === undefined ? undefined : true))
    expect(selfCheck(rig.operator.log())).toMatch(/ERROR|"level":"ERROR"|level=ERROR/)
    const ir = await eventually(
      "the refusal on the object",
      async () => {
        const current = await getJson<ImageRepositoryJson>("imagerepository", rig.namespace, "refused")
        return current?.status?.message?.includes(expected) === true ? current : undefined
      },
      60_000
    )
    expect(ir.status?.message).toContain("Generate the organization's token with")
    expect(ir.status?.state).not.toBe("failed")
  }, 180_000)
})
