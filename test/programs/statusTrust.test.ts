/**
 * Status is not an identity: whoever may patch `imagerepositories/status` must not be able to make the operator
 * hand out, rotate, grant or delete another object's robot, touch another object's repository, or link another
 * object's Secret. Each test stages a victim, tampers with the attacker's status, and checks the victim is left as
 * it was, no Quay call named a victim's object, and the attacker's object says its status was damaged.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import type { ObjectRef } from "../../src/domain/ObjectMeta.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import { robotShortName } from "../../src/domain/RobotName.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { callsNaming, spyOnQuay } from "./QuaySpy.ts"
import { componentLabels, convergeAt, namespace, organization, world } from "./World.ts"

const victimNamespace = "victim-ns"
const at = (ns: string, name: string): ObjectRef => ({ namespace: ns, name })

const applyAt = (ref: ObjectRef, spec?: Record<string, unknown>, extra?: Record<string, unknown>) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.put(Kinds.ImageRepository, {
      apiVersion: "appstudio.redhat.com/v1alpha1",
      kind: "ImageRepository",
      metadata: { name: ref.name, namespace: ref.namespace, ...extra },
      ...(spec === undefined ? {} : { spec })
    })
  )

const getAt = (ref: ObjectRef) =>
  Effect.flatMap(Kubernetes, (k) => k.get(Kinds.ImageRepository, ref)).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.dieMessage(`${ref.name} is gone`), onSome: Effect.succeed }))
  )

const provisionAt = (ref: ObjectRef, spec?: Record<string, unknown>, extra?: Record<string, unknown>) =>
  Effect.gen(function*() {
    yield* applyAt(ref, spec, extra)
    yield* convergeAt(ref)
    return yield* getAt(ref)
  })

const secretAt = (ref: ObjectRef) =>
  Effect.flatMap(Kubernetes, (k) => k.get(Kinds.Secret, ref)).pipe(Effect.map(Option.getOrUndefined))

/** Whether the Secret `<ref>` holds, for `imageUrl`, credentials Quay accepts for `access` to `repository`. */
const secretGrantsAt = (ref: ObjectRef, imageUrl: string, repository: string, access: "push" | "pull" = "push") =>
  Effect.gen(function*() {
    const secret = yield* secretAt(ref)
    if (secret === undefined) return false
    const credentials = RobotSecret.credentialsIn(secret, imageUrl)
    if (Option.isNone(credentials)) return false
    const quay = yield* QuayInMemory.QuayControl
    return yield* quay.authorize(credentials.value.username, credentials.value.token, repository, access)
  })

/** A user (or tool) with `imagerepositories/status` rights writing what it likes. */
const tamperStatus = (ref: ObjectRef, status: Record<string, unknown>) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.patch(Kinds.ImageRepository, ref, { status }, { subresource: "status" })
  )

const removeSecret = (ref: ObjectRef) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.remove(Kinds.Secret, ref))

const deleteAt = (ref: ObjectRef) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.delete(Kinds.ImageRepository, ref))

const eventsAt = (ref: ObjectRef) =>
  Effect.flatMap(Kubernetes, (k) => k.list(Kinds.Event, { namespace: ref.namespace })).pipe(
    Effect.map((list) => list.items.filter((e) => e.regarding.name === ref.name).map((e) => [e.type, e.reason, e.note]))
  )

const robotOf = (ir: ImageRepository) => ir.status?.credentials?.["push-robot-account"] ?? ""
const repositoryOf = (ir: ImageRepository) => (ir.status?.image?.url ?? "").replace(`quay.io/${organization}/`, "")

/** What a victim has in Quay and in its namespace, to compare before and after an attack. */
const victimState = (ref: ObjectRef, robot: string, repository: string) =>
  Effect.gen(function*() {
    const quay = yield* QuayInMemory.QuayControl
    const snapshot = yield* quay.snapshot
    const token = yield* quay.robotToken(robot)
    return {
      robotToken: Option.getOrUndefined(Option.map(token, Redacted.value)),
      repository: snapshot.repositories.find((r) => r.name === repository),
      secret: (yield* secretAt(at(ref.namespace, `${ref.name}-image-push`)))?.data
    }
  })

/** A provisioned victim in another namespace and a provisioned attacker, with what the victim had before. */
const victimAndAttacker = Effect.gen(function*() {
  const victim = yield* provisionAt(at(victimNamespace, "v"))
  const attacker = at(namespace, "a")
  yield* provisionAt(attacker)
  const victimNow = victimState(at(victimNamespace, "v"), robotOf(victim), repositoryOf(victim))
  return { victim, attacker, before: yield* victimNow, victimNow }
})

/** A user's edit of the spec. */
const editSpec = (ref: ObjectRef, spec: Record<string, unknown>) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.patch(Kinds.ImageRepository, ref, { spec }))

/** Converges `ref` with every Quay call written down. */
const convergeSpied = (ref: ObjectRef) =>
  Effect.gen(function*() {
    const spy = yield* spyOnQuay
    yield* convergeAt(ref).pipe(Effect.provideService(Quay, spy.quay))
    return spy.calls
  })

const expectDamageReported = (ref: ObjectRef, field: string) =>
  Effect.gen(function*() {
    const events = yield* eventsAt(ref)
    expect(events.filter(([type, reason, message]) => type === "Warning" && reason === "StatusDamaged" && message?.includes(field)))
      .not.toEqual([])
  })

describe("a status that names another namespace's robot", () => {
  it.effect("the issue's attack: the Secret is not filled with that robot's token, and deletion leaves the robot", () =>
    Effect.gen(function*() {
      const { victim, attacker, before, victimNow } = yield* victimAndAttacker
      yield* tamperStatus(attacker, { credentials: { "push-robot-account": robotOf(victim) } })
      yield* removeSecret(at(namespace, "a-image-push"))

      const calls = yield* convergeSpied(attacker)
      expect(callsNaming(calls, robotOf(victim))).toEqual([])
      const a = yield* getAt(attacker)
      expect(yield* secretGrantsAt(at(namespace, "a-image-push"), a.status?.image?.url ?? "", repositoryOf(victim))).toBe(false)
      // The attacker's own credentials are restored: its robot, its Secret.
      expect(robotOf(a)).not.toBe(robotOf(victim))
      expect(yield* secretGrantsAt(at(namespace, "a-image-push"), a.status?.image?.url ?? "", `${namespace}/a`)).toBe(true)
      expect(a.status?.message).toContain("push-robot-account")
      yield* expectDamageReported(attacker, "push-robot-account")

      yield* tamperStatus(attacker, { credentials: { "push-robot-account": robotOf(victim) } })
      yield* deleteAt(attacker)
      const deletion = yield* convergeSpied(attacker)
      expect(callsNaming(deletion, robotOf(victim))).toEqual([])
      expect(yield* victimNow).toEqual(before)
      expect(
        yield* secretGrantsAt(at(victimNamespace, "v-image-push"), victim.status?.image?.url ?? "", repositoryOf(victim))
      ).toBe(true)
    }).pipe(Effect.provide(world())))

  it.effect("regenerate-token does not rotate that robot's token", () =>
    Effect.gen(function*() {
      const { victim, attacker, before, victimNow } = yield* victimAndAttacker
      yield* tamperStatus(attacker, { credentials: { "push-robot-account": robotOf(victim) } })
      yield* editSpec(attacker, { credentials: { "regenerate-token": true } })
      const calls = yield* convergeSpied(attacker)
      expect(callsNaming(calls, robotOf(victim))).toEqual([])
      expect(yield* victimNow).toEqual(before)
      const a = yield* getAt(attacker)
      expect(yield* secretGrantsAt(at(namespace, "a-image-push"), a.status?.image?.url ?? "", repositoryOf(victim))).toBe(false)
      expect(a.spec?.credentials?.["regenerate-token"]).toBeUndefined()
      yield* expectDamageReported(attacker, "push-robot-account")
    }).pipe(Effect.provide(world())))

  it.effect("as its pull robot: reported, and deletion leaves the robot", () =>
    Effect.gen(function*() {
      const { victim, attacker, before, victimNow } = yield* victimAndAttacker
      yield* tamperStatus(attacker, { credentials: { "pull-robot-account": robotOf(victim) } })
      yield* convergeSpied(attacker)
      expect((yield* getAt(attacker)).status?.message).toContain("pull-robot-account")
      yield* expectDamageReported(attacker, "pull-robot-account")
      yield* tamperStatus(attacker, { credentials: { "pull-robot-account": robotOf(victim) } })
      yield* deleteAt(attacker)
      const deletion = yield* convergeSpied(attacker)
      expect(callsNaming(deletion, robotOf(victim))).toEqual([])
      expect(yield* victimNow).toEqual(before)
    }).pipe(Effect.provide(world())))

  it.effect("whose name looks like the original controller's for this object (sanitized names collide across namespaces)", () =>
    Effect.gen(function*() {
      // The original controller's object in namespace `a-b`, repository `a-b/c`: its robot is `a_b_c_<10 hex>`.
      // The attacker in namespace `a` asks for image `b-c`: repository `a/b-c`, the same sanitized prefix.
      const quay = yield* Quay
      yield* quay.createRepository({ name: "a-b/c", visibility: "public", description: "AppStudio repository for the user" })
      const legacy = yield* quay.createRobot("a_b_c_0123456789", "Robot account for Konflux Component")
      yield* quay.setPermission("a-b/c", legacy.name, "write")
      const attacker = at("a", "x")
      const a = yield* provisionAt(attacker, { image: { name: "b-c" } })
      expect(repositoryOf(a)).toBe("a/b-c")
      const before = yield* victimState(at("a-b", "c"), "a_b_c_0123456789", "a-b/c")
      yield* tamperStatus(attacker, { credentials: { "push-robot-account": "a_b_c_0123456789" } })
      yield* removeSecret(at("a", "x-image-push"))
      const calls = yield* convergeSpied(attacker)
      // Told apart by the grants of this object's own repository: no call names the other robot.
      expect(callsNaming(calls, "a_b_c_0123456789")).toEqual([])
      expect(yield* secretGrantsAt(at("a", "x-image-push"), a.status?.image?.url ?? "", "a-b/c")).toBe(false)
      yield* tamperStatus(attacker, { credentials: { "push-robot-account": "a_b_c_0123456789" } })
      yield* deleteAt(attacker)
      yield* convergeSpied(attacker)
      expect(yield* victimState(at("a-b", "c"), "a_b_c_0123456789", "a-b/c")).toEqual(before)
      expect(before.robotToken).toBeDefined()
    }).pipe(Effect.provide(world())))
})

describe("a robot that carries this object's derived name but not its mark", () => {
  it.effect("is not used: made by someone else, its token is not read into the Secret", () =>
    Effect.gen(function*() {
      const ref = at(namespace, "h")
      yield* applyAt(ref)
      const ir = yield* getAt(ref)
      const name = robotShortName(
        { namespace, name: "h", uid: ir.metadata.uid ?? "" },
        "push",
        organization
      )
      const quay = yield* Quay
      yield* quay.createRobot(name, "made by hand")
      yield* convergeAt(ref)
      const failed = yield* getAt(ref)
      expect(failed.status?.state).toBe("failed")
      expect(failed.status?.message).toContain("not marked as this ImageRepository's")
      expect(yield* secretAt(at(namespace, "h-image-push"))).toBeUndefined()
    }).pipe(Effect.provide(world())))
})

describe("a status whose image URL names a repository that is not this object's", () => {
  it.effect("in another namespace: reported, the other repository untouched, this object's own repository kept", () =>
    Effect.gen(function*() {
      const { victim, attacker, before, victimNow } = yield* victimAndAttacker
      yield* tamperStatus(attacker, { image: { url: victim.status?.image?.url, visibility: "public" } })
      yield* editSpec(attacker, { image: { visibility: "private" } })
      const calls = yield* convergeSpied(attacker)
      expect(callsNaming(calls, repositoryOf(victim))).toEqual([])
      expect(yield* victimNow).toEqual(before)
      const a = yield* getAt(attacker)
      expect(a.status?.image?.url).toBe(`quay.io/${organization}/${namespace}/a`)
      expect(a.status?.message).toContain("image.url")
      yield* expectDamageReported(attacker, "image.url")

      yield* tamperStatus(attacker, { image: { url: victim.status?.image?.url } })
      yield* deleteAt(attacker)
      const deletion = yield* convergeSpied(attacker)
      expect(callsNaming(deletion, repositoryOf(victim))).toEqual([])
      expect(yield* victimNow).toEqual(before)
    }).pipe(Effect.provide(world())))

  it.effect("of another object in the same namespace: neither its visibility changed nor the repository deleted", () =>
    Effect.gen(function*() {
      const other = yield* provisionAt(at(namespace, "b"))
      const attacker = at(namespace, "a")
      yield* provisionAt(attacker)
      const before = yield* victimState(at(namespace, "b"), robotOf(other), repositoryOf(other))
      yield* tamperStatus(attacker, { image: { url: other.status?.image?.url } })
      yield* editSpec(attacker, { image: { visibility: "private" } })
      yield* convergeSpied(attacker)
      expect(yield* victimState(at(namespace, "b"), robotOf(other), repositoryOf(other))).toEqual(before)
      expect((yield* getAt(attacker)).status?.image?.url).toBe(`quay.io/${organization}/${namespace}/a`)
      yield* expectDamageReported(attacker, "image.url")

      yield* tamperStatus(attacker, { state: "ready", image: { url: other.status?.image?.url } })
      yield* deleteAt(attacker)
      yield* convergeSpied(attacker)
      expect(yield* victimState(at(namespace, "b"), robotOf(other), repositoryOf(other))).toEqual(before)
    }).pipe(Effect.provide(world())))
})

describe("a status URL naming another object's repository, and nothing else changed", () => {
  it.effect("is not written into this object's spec.image.name: the name guard confirms before it puts a name back", () =>
    Effect.gen(function*() {
      const other = yield* provisionAt(at(namespace, "b"))
      const attacker = at(namespace, "a")
      yield* provisionAt(attacker)
      yield* tamperStatus(attacker, { image: { url: other.status?.image?.url } })
      yield* convergeAt(attacker)
      const a = yield* getAt(attacker)
      expect(a.spec?.image?.name).toBe(`${namespace}/a`)
      expect(a.status?.image?.url).toBe(`quay.io/${organization}/${namespace}/a`)
      expect(a.status?.state).toBe("ready")
      yield* expectDamageReported(attacker, "image.url")
    }).pipe(Effect.provide(world())))
})

describe("a robot re-created while status names another object's repository", () => {
  it.effect("gets no grant on it: the read that tells a missing repository apart also shows whose it is", () =>
    Effect.gen(function*() {
      const other = yield* provisionAt(at(namespace, "b"))
      const attacker = at(namespace, "a")
      const a = yield* provisionAt(attacker)
      const before = yield* victimState(at(namespace, "b"), robotOf(other), repositoryOf(other))
      const quay = yield* QuayInMemory.QuayControl
      yield* quay.outOfBand.deleteRobot(robotOf(a))
      yield* tamperStatus(attacker, { image: { url: other.status?.image?.url } })
      yield* editSpec(attacker, { credentials: { "regenerate-token": true } })
      const calls = yield* convergeSpied(attacker)
      expect(calls.filter((call) => call.startsWith("setPermission") && call.includes(repositoryOf(other)))).toEqual([])
      expect(yield* victimState(at(namespace, "b"), robotOf(other), repositoryOf(other))).toEqual(before)
      const healed = yield* getAt(attacker)
      expect(healed.status?.image?.url).toBe(`quay.io/${organization}/${namespace}/a`)
      expect(yield* secretGrantsAt(at(namespace, "a-image-push"), healed.status?.image?.url ?? "", `${namespace}/a`)).toBe(true)
      yield* expectDamageReported(attacker, "image.url")
    }).pipe(Effect.provide(world())))
})

describe("a status whose image URL climbs out of the namespace with '..'", () => {
  it.effect("is reported and never reaches Quay (over HTTP the path would be normalised into the other namespace)", () =>
    Effect.gen(function*() {
      const { attacker, before, victimNow } = yield* victimAndAttacker
      const climbing = `quay.io/${organization}/${namespace}/../${victimNamespace}/v`
      yield* tamperStatus(attacker, { image: { url: climbing } })
      yield* editSpec(attacker, { image: { visibility: "private" } })
      const calls = yield* convergeSpied(attacker)
      expect(calls.filter((call) => call.includes(".."))).toEqual([])
      yield* expectDamageReported(attacker, "image.url")
      yield* tamperStatus(attacker, { image: { url: climbing } })
      yield* deleteAt(attacker)
      const deletion = yield* convergeSpied(attacker)
      expect(deletion.filter((call) => call.includes(".."))).toEqual([])
      expect(yield* victimNow).toEqual(before)
    }).pipe(Effect.provide(world())))
})

describe("a status that names another object's Secret", () => {
  const component = (name: string) => componentLabels(name)
  const serviceAccount = (name: string) =>
    Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
      k.put(Kinds.ServiceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } })
    )
  const linked = (serviceAccount: string) =>
    Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.getRaw(Kinds.ServiceAccount, at(namespace, serviceAccount))).pipe(
      Effect.map((sa) =>
        sa._tag === "Some" ? ((sa.value["secrets"] ?? []) as ReadonlyArray<{ name: string }>).map((r) => r.name) : []
      )
    )

  it.effect("never links it to this object's ServiceAccount, nor unlinks it from its own", () =>
    Effect.gen(function*() {
      yield* serviceAccount("build-pipeline-comp-a")
      yield* serviceAccount("build-pipeline-comp-b")
      yield* provisionAt(at(namespace, "b"), undefined, component("comp-b"))
      const attacker = at(namespace, "a")
      yield* provisionAt(attacker, undefined, component("comp-a"))
      const otherSecret = (yield* secretAt(at(namespace, "b-image-push")))?.data
      yield* tamperStatus(attacker, { credentials: { "push-secret": "b-image-push" } })
      yield* editSpec(attacker, { credentials: { "verify-linking": true, "regenerate-token": true } })
      yield* convergeSpied(attacker)
      expect(yield* linked("build-pipeline-comp-a")).toEqual(["a-image-push"])
      expect(yield* linked("build-pipeline-comp-b")).toEqual(["b-image-push"])
      expect((yield* secretAt(at(namespace, "b-image-push")))?.data).toEqual(otherSecret)
      expect((yield* getAt(attacker)).status?.credentials?.["push-secret"]).toBe("a-image-push")
      yield* expectDamageReported(attacker, "push-secret")

      yield* tamperStatus(attacker, { credentials: { "push-secret": "b-image-push" } })
      yield* deleteAt(attacker)
      yield* convergeSpied(attacker)
      expect(yield* linked("build-pipeline-comp-b")).toEqual(["b-image-push"])
    }).pipe(Effect.provide(world("paid", { pipelineServiceAccount: "build-pipeline-{component}" }))))
})
