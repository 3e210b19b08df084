/**
 * `npm run takeover -- --original-bin <manager>` (or ORIGINAL_IMAGE_CONTROLLER_BIN / --original-src): the real
 * takeover, not fixtures. The original Go image-controller provisions a handful of ImageRepositories on the local
 * control plane (CLUSTER_STATE_DIR) against a fresh Quay simulator; it is stopped, this operator's CRDs are applied
 * over the original's and this operator starts behind a recording proxy; then what it cost in Quay, what was lost,
 * whether credentials still work, rotation and visibility on adopted objects, and what deletion leaves in Quay.
 * Not part of `npm test`: it needs the original built (scripts/original/build.sh).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Logger, LogLevel, Option } from "effect"
import { projectRoot } from "../src/cluster/ControlPlane.ts"
import { canaryRobot } from "../src/runtime/QuayProbe.ts"
import { startRecordingProxy } from "../test/cluster/e2e/RecordingProxy.ts"
import * as Cluster from "./harness/Cluster.ts"
import * as ControllerProcess from "./harness/ControllerProcess.ts"
import * as OriginalController from "./harness/OriginalController.ts"
import * as Stage from "./harness/Stage.ts"
import * as Checks from "./takeover/Checks.ts"

interface UserObject {
  readonly group: "appstudio.redhat.com" | "konflux-ci.dev"
  readonly name: string
  readonly component?: Stage.ComponentOf | undefined
  readonly spec?: Checks.Json | undefined
}

/** As users write them: general-purpose public and private, component ones, one with notifications; both groups. */
const objects: ReadonlyArray<UserObject> = [
  { group: "appstudio.redhat.com", name: "general-public" },
  { group: "appstudio.redhat.com", name: "general-private", spec: { image: { visibility: "private" } } },
  { group: "appstudio.redhat.com", name: "billing-image", component: { component: "billing", application: "shop" } },
  { group: "konflux-ci.dev", name: "payments-image", component: { component: "payments", application: "shop" } },
  {
    group: "konflux-ci.dev",
    name: "notified",
    spec: {
      notifications: [{ title: "build-pushed", event: "repo_push", method: "webhook", config: { url: "https://hooks.example.com/pushed" } }]
    }
  }
]
const [generalPublic, , billing] = objects as [UserObject, UserObject, UserObject]

const resourceOf = (o: UserObject) => `imagerepositories.${o.group}`
const line = (s: string) => process.stdout.write(`${s}\n`)

const { values } = parseArgs({ options: { "original-src": { type: "string" }, "original-bin": { type: "string" } } })
const source = OriginalController.sourceOf({ src: values["original-src"], bin: values["original-bin"] })
if (source.src === undefined && source.bin === undefined) {
  process.stderr.write(
    "takeover: the original controller is needed: give --original-bin <manager> (or ORIGINAL_IMAGE_CONTROLLER_BIN), or " +
      "--original-src <checkout> (or ORIGINAL_IMAGE_CONTROLLER_SRC); scripts/original/build.sh builds it\n"
  )
  process.exit(2)
}

/**
 * A manager in build.sh's cache directory already has its CRDs beside it (`crds/`): use them as they are, since
 * build.sh given only `--bin` keys a new directory by the binary's hash and has no checkout to take CRDs from.
 */
const builtWithCrds = (given: OriginalController.OriginalSource): Option.Option<OriginalController.OriginalController> => {
  if (given.bin === undefined) return Option.none()
  const dir = Path.dirname(Path.resolve(given.bin))
  const crdDir = Path.join(dir, "crds")
  return Fs.existsSync(crdDir) && Fs.readdirSync(crdDir).some((f) => f.endsWith(".yaml"))
    ? Option.some({ binary: Path.resolve(given.bin), crdDir, build: Path.basename(dir) })
    : Option.none()
}

const program = Effect.gen(function*() {
  const progress = (s: string) => process.stderr.write(`takeover: ${s}\n`)
  const original = yield* Option.match(builtWithCrds(source), {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.flatMap(OriginalController.resolve(source, progress), Option.match({
        onNone: () => Effect.dieMessage("no original controller"),
        onSome: Effect.succeed
      }))
  })
  const cluster = yield* Cluster.up({ scale: 1, original: Option.some(original), stateDir: process.env["CLUSTER_STATE_DIR"] || undefined, progress })
  const stage = yield* Stage.make(cluster, { which: { _tag: "Original", original }, latencyMs: 0 })
  const { namespace, sim } = stage
  const proxy = yield* Effect.acquireRelease(Effect.promise(() => startRecordingProxy(sim)), (p) => Effect.promise(() => p.close()))
  // Both controllers reach Quay through the proxy: the registry host they derive from the API URL is the same.
  const quay = { ...stage.quay, apiUrl: proxy.apiUrl }
  const kubectl = (args: ReadonlyArray<string>) => Cluster.kubectl(cluster, args)
  const getJson = (kind: string, name: string) =>
    kubectl(["get", kind, name, "-n", namespace, "-o", "json"]).pipe(
      Effect.map((out): Checks.Json | undefined => JSON.parse(out) as Checks.Json),
      Effect.catchIf((e) => e.reason.includes("NotFound"), () => Effect.succeed(undefined))
    )
  const createFromJson = (items: ReadonlyArray<unknown>) =>
    Effect.gen(function*() {
      const file = Path.join(Os.tmpdir(), `takeover-${namespace}-${Date.now()}.json`)
      Fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items }))
      yield* Effect.ensuring(kubectl(["create", "-f", file]), Effect.sync(() => Fs.rmSync(file, { force: true })))
    })
  const patch = (o: UserObject, body: unknown) =>
    kubectl(["patch", resourceOf(o), o.name, "-n", namespace, "--type=merge", "-p", JSON.stringify(body)])
  const snapshotObjects = Effect.forEach(objects, (o) => Effect.map(getJson(resourceOf(o), o.name), (json) => [o.name, json] as const))
    .pipe(Effect.map((entries) => new Map(entries)))
  const rows: Array<readonly [string, string, string]> = []
  /** A poll's check: a failed kubectl call means "not yet". */
  const check = (condition: Effect.Effect<boolean, Cluster.ClusterError>) => Effect.orElseSucceed(condition, () => false)

  // 1. The original provisions.
  progress(`namespace ${namespace}; the original (${original.build}) provisions ${objects.length} objects`)
  yield* Stage.setUpComponents(stage, objects.flatMap((o) => (o.component === undefined ? [] : [o.component])))
  const provisioned = yield* Effect.scoped(Effect.gen(function*() {
    const running = yield* ControllerProcess.start(stage.which, cluster.kubeconfig, quay)
    yield* createFromJson(objects.map((o) => ({
      apiVersion: `${o.group}/v1alpha1`,
      kind: "ImageRepository",
      metadata: { name: o.name, namespace, ...(o.component === undefined ? {} : { labels: Stage.componentLabels(o.component) }) },
      spec: o.spec ?? {}
    })))
    yield* ControllerProcess.awaitCondition(running, check(Effect.map(snapshotObjects, (now) =>
      objects.every((o) => Checks.text(now.get(o.name), "status", "state") === "ready"))), "all ready", Duration.minutes(3), Duration.seconds(1))
    const requests = proxy.recorder.events.filter((e) => e.type === "start").length
    progress(`the original made all ready after ${requests} Quay requests; stopping it`)
    rows.push(["Quay requests the original took to provision", String(requests), "-"])
    return sim.model.snapshot()
  }))
  const beforeSwitch = yield* snapshotObjects

  // 2. This operator's CRDs over the original's, as `make install` does; then this operator.
  yield* kubectl(["apply", "-k", Path.join(projectRoot, "config", "crd")])
  for (const group of ["appstudio.redhat.com", "konflux-ci.dev"]) {
    yield* kubectl(["wait", "--for=condition=Established", `crd/imagerepositories.${group}`, "--timeout=60s"])
  }
  const afterSwitch = yield* snapshotObjects
  const lostInSwitch = objects.flatMap((o) =>
    Checks.lostFields(beforeSwitch.get(o.name), afterSwitch.get(o.name)).map((lost) => `${o.name} ${lost}`))
  line("\nfields lost across the CRD switch:")
  for (const lost of lostInSwitch.length === 0 ? ["(none)"] : lostInSwitch) line(`  ${lost}`)
  rows.push(["fields lost across the CRD switch", String(lostInSwitch.length), "0"])

  proxy.recorder.clear()
  const ours = yield* ControllerProcess.start({
    _tag: "Ours",
    settings: {
      environment: { REMOTE_SECRETS: "off", METRICS_PORT: "0", HEALTH_PORT: "0", LOG_LEVEL: "Info", LEADER_ELECTION: "false" }
    }
  }, cluster.kubeconfig, quay)
  // No start-up check to wait for: the token's self-check waits for the operator's first Quay call, which adoption
  // does not make. Every request from its start on is counted as adoption's (the periodic probe's aside).
  const readyNow = Effect.map(snapshotObjects, (now) =>
    objects.every((o) => {
      const conditions = Checks.at(now.get(o.name), "status", "conditions")
      const ready = (Array.isArray(conditions) ? conditions : []).find((c: unknown) => Checks.at(c, "type") === "Ready")
      return Checks.text(now.get(o.name), "status", "state") === "ready" && Checks.text(ready, "status") === "True"
    }))
  const allReady = yield* ControllerProcess.awaitUntil(ours, check(readyNow), "adoption", Duration.minutes(2), Duration.seconds(1))
  // Adoption relabels the original's Secrets: once every push Secret carries this operator's label, adoption is done.
  yield* ControllerProcess.awaitUntil(ours, check(Effect.map(Effect.forEach(objects, (o) =>
    getJson("secret", Checks.text(afterSwitch.get(o.name), "status", "credentials", "push-secret"))), (secrets) =>
    secrets.every((s) => Checks.text(s, "metadata", "labels", "app.kubernetes.io/managed-by") === "image-repository-operator"))),
    "Secrets adopted", Duration.minutes(1), Duration.seconds(1))
  const adoptionRequests = proxy.recorder.events
    .filter((e) => e.type === "start" && !e.what.includes(canaryRobot)).map((e) => e.what)
  line(`Quay requests during adoption: ${adoptionRequests.length}`)
  for (const what of Checks.byEndpoint(adoptionRequests)) line(`  ${what}`)
  rows.push(["Quay requests during adoption", String(adoptionRequests.length), "0"])
  rows.push(["objects ready after adoption", allReady ? `${objects.length}/${objects.length}` : "not all", `${objects.length}/${objects.length}`])

  const adopted = yield* snapshotObjects
  const lostInAdoption = objects.flatMap((o) =>
    (["spec", "status"] as const).flatMap((part) =>
      Checks.lostFields(Checks.at(afterSwitch.get(o.name), part), Checks.at(adopted.get(o.name), part), [part])
        .map((lost) => `${o.name} ${lost}`)))
  line("\nspec/status fields lost or changed by adoption:")
  for (const lost of lostInAdoption.length === 0 ? ["(none)"] : lostInAdoption) line(`  ${lost}`)
  const added = objects.flatMap((o) =>
    (["spec", "status"] as const).flatMap((part) =>
      Checks.addedFields(Checks.at(afterSwitch.get(o.name), part), Checks.at(adopted.get(o.name), part), [part])
        .map((field) => `${o.name} ${field}`)))
  line(`fields this operator added (not losses): ${added.length === 0 ? "(none)" : added.join(", ")}`)
  rows.push(["spec/status fields lost or changed by adoption", String(lostInAdoption.length), "0"])

  const credentialsOf = (now: Checks.Json | undefined) =>
    Effect.forEach(["push", "pull"] as const, (role) =>
      Effect.map(getJson("secret", Checks.text(now, "status", "credentials", `${role}-secret`)), (secret) => ({
        role,
        secret,
        works: Checks.authenticates(sim.model, secret, Checks.text(now, "spec", "image", "name"), role)
      })))
  const failing: Array<string> = []
  for (const o of objects) {
    for (const c of yield* credentialsOf(adopted.get(o.name))) if (!c.works) failing.push(`${o.name} ${c.role}`)
  }
  line(`\nSecrets whose credentials no longer authenticate: ${failing.length === 0 ? "(none)" : failing.join(", ")}`)
  rows.push(["Secrets authenticating after adoption", `${objects.length * 2 - failing.length}/${objects.length * 2}`, `${objects.length * 2}/${objects.length * 2}`])

  // 3. Rotation and visibility on adopted objects.
  const pushLogin = (o: UserObject) =>
    Effect.flatMap(getJson(resourceOf(o), o.name), (now) =>
      Effect.map(credentialsOf(now), (cs) => Checks.loginOf(cs[0]?.secret)))
  const oldLogin = yield* pushLogin(billing)
  yield* patch(billing, { spec: { credentials: { "regenerate-token": true } } })
  const rotated = yield* ControllerProcess.awaitUntil(ours, check(Effect.map(Effect.zip(getJson(resourceOf(billing), billing.name), pushLogin(billing)),
    ([now, login]) => Checks.at(now, "spec", "credentials", "regenerate-token") === undefined && login?.token !== oldLogin?.token)),
    "token rotated", Duration.minutes(1), Duration.seconds(1))
  const billingNow = yield* getJson(resourceOf(billing), billing.name)
  const newWorks = (yield* credentialsOf(billingNow)).every((c) => c.works)
  const oldRefused = oldLogin !== undefined &&
    !sim.model.authorize(oldLogin.username, oldLogin.token, `${sim.organization}/${Checks.text(billingNow, "spec", "image", "name")}`, "push")
  rows.push(["regenerate-token on an adopted object", rotated && newWorks && oldRefused ? "rotated; new works, old refused" : `rotated=${rotated} new works=${newWorks} old refused=${oldRefused}`, "rotated"])

  const publicRepository = Checks.text(adopted.get(generalPublic.name), "spec", "image", "name")
  yield* patch(generalPublic, { spec: { image: { visibility: "private" } } })
  const madePrivate = yield* ControllerProcess.awaitUntil(ours, check(Effect.map(getJson(resourceOf(generalPublic), generalPublic.name), (now) =>
    sim.model.snapshot().repositories.find((r) => r.name === publicRepository)?.visibility === "private" &&
    Checks.text(now, "status", "image", "visibility") === "private")), "made private", Duration.minutes(1), Duration.seconds(1))
  rows.push(["visibility public → private on an adopted object", madePrivate ? "private in Quay and status" : "not applied", "private"])

  // Deletion: nothing the original created may be left, but what it shares with the namespace.
  for (const o of objects) yield* kubectl(["delete", resourceOf(o), o.name, "-n", namespace, "--wait=true", "--timeout=120s"])
  const ownRobots = new Set(objects.flatMap((o) =>
    (["push", "pull"] as const).map((role) => `${Checks.text(adopted.get(o.name), "status", "credentials", `${role}-robot-account`)}`)))
  const left = Checks.leftovers(provisioned, sim.model.snapshot())
  const sharedRobots = left.robots.filter((r) => !ownRobots.has(r))
  const leftRobots = left.robots.filter((r) => ownRobots.has(r))
  line("\nleft in Quay after deleting every object:")
  line(`  robots: ${leftRobots.length === 0 ? "(none)" : leftRobots.join(", ")}`)
  line(`  repositories: ${left.repositories.length === 0 ? "(none)" : left.repositories.join(", ")}`)
  line(`  permissions: ${left.permissions.length === 0 ? "(none)" : left.permissions.join("; ")}`)
  line(`  robots no object owns (the namespace pull robot, the original's health-check robot; kept by design): ${sharedRobots.join(", ") || "(none)"}`)
  rows.push(["left in Quay after deletion (robots, repositories, grants)", `${leftRobots.length}, ${left.repositories.length}, ${left.permissions.length}`, "0, 0, 0"])

  // The object's Secrets go by garbage collection (owner references), the namespace's shared one stays.
  const secretNames = objects.flatMap((o) =>
    (["push", "pull"] as const).map((role) => Checks.text(adopted.get(o.name), "status", "credentials", `${role}-secret`)))
  const secretsLeft = Effect.map(Effect.forEach(secretNames, (name) => getJson("secret", name)), (found) =>
    secretNames.filter((_, i) => found[i] !== undefined))
  yield* ControllerProcess.awaitUntil(ours, check(Effect.map(secretsLeft, (left) => left.length === 0)), "Secrets collected",
    Duration.minutes(1), Duration.seconds(1))
  const leftSecrets = yield* secretsLeft
  line(`  objects' Secrets left in the namespace: ${leftSecrets.length === 0 ? "(none)" : leftSecrets.join(", ")}`)
  rows.push(["objects' Secrets left after deletion", String(leftSecrets.length), "0"])

  const width = Math.max(...rows.map((r) => r[0].length))
  const resultWidth = Math.max(...rows.map((r) => r[1].length), "result".length)
  line(`\ntakeover from ${original.build}: ${objects.length} objects (both groups, general-purpose and component, one with notifications)`)
  line(`${"check".padEnd(width)}  ${"result".padEnd(resultWidth)}  target`)
  for (const [check, result, target] of rows) line(`${check.padEnd(width)}  ${result.padEnd(resultWidth)}  ${target}`)
  line(`\nlogs: original and this operator under ${Os.tmpdir()} (bench-original-*, bench-ours-*); this operator's: ${ours.logFile}`)
})

program.pipe(
  Effect.scoped,
  Effect.tapErrorCause((cause) => Effect.sync(() => process.stderr.write(`takeover failed: ${cause.toString()}\n`))),
  Logger.withMinimumLogLevel(LogLevel.Warning),
  NodeRuntime.runMain
)
