/** spec.notifications synced to Quay's repository notifications by title (issue 14). */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  applyImageRepository,
  converge,
  cost,
  deleteImageRepository,
  editImageRepository,
  eventsAbout,
  mustGetImageRepository,
  namespace,
  quaySnapshot,
  ref,
  world
} from "./World.ts"

const repository = `${namespace}/n`
const hook = (title: string, url: string) => ({ title, event: "repo_push", method: "webhook", config: { url } })

const inQuay = Effect.map(quaySnapshot, (s) =>
  s.notifications.filter((n) => n.repository === repository).map((n) => ({ uuid: n.uuid, title: n.title, config: n.config })))

const recorded = Effect.map(mustGetImageRepository("n"), (ir) => ir.status?.notifications ?? [])

const quayCalls = Effect.map(cost, (c) => c.quayCalls)

/** One reconcile, as a watch event or the resync would cause, and the Quay calls it made. */
const pass = Effect.gen(function*() {
  const before = yield* quayCalls
  yield* reconcileImageRepository(ref("n"))
  return (yield* quayCalls) - before
})

describe("notifications", () => {
  it.effect("are created at provisioning and recorded by title and uuid; a converged object then costs no Quay call", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/hook"), hook("audit", "http://audit.example/x")] })
      yield* converge("n")
      const quay = yield* inQuay
      expect(quay.map((n) => [n.title, n.config])).toEqual([
        ["build", { url: "https://ci.example/hook" }],
        ["audit", { url: "http://audit.example/x" }]
      ])
      const status = yield* recorded
      expect(status.map((s) => [s.title, s.uuid])).toEqual(quay.map((n) => [n.title, n.uuid]))
      expect((yield* mustGetImageRepository("n")).status?.state).toBe("ready")
      expect(yield* pass).toBe(0)
      expect(yield* pass).toBe(0)
    }).pipe(Effect.provide(world())))

  it.effect("a changed config replaces the notification (new uuid, the old one gone); the others stay untouched", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a"), hook("keep", "https://k.example/")] })
      yield* converge("n")
      const before = yield* recorded
      yield* editImageRepository("n", { spec: { notifications: [hook("build", "https://ci.example/b"), hook("keep", "https://k.example/")] } })
      yield* converge("n")
      const after = yield* recorded
      const quay = yield* inQuay
      expect(quay.map((n) => [n.title, n.config])).toEqual([["keep", { url: "https://k.example/" }], ["build", { url: "https://ci.example/b" }]])
      expect(after.find((s) => s.title === "build")?.uuid).not.toBe(before.find((s) => s.title === "build")?.uuid)
      expect(after.find((s) => s.title === "keep")?.uuid).toBe(before.find((s) => s.title === "keep")?.uuid)
      expect(new Set(after.map((s) => s.uuid))).toEqual(new Set(quay.map((n) => n.uuid)))
    }).pipe(Effect.provide(world())))

  it.effect("a title removed from spec is deleted in Quay; a notification someone else made is never touched", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a"), hook("gone", "https://g.example/")] })
      yield* converge("n")
      const control = yield* QuayInMemory.QuayControl
      const theirs = yield* control.outOfBand.createNotification(repository, {
        title: "gone",
        event: "repo_push",
        method: "webhook",
        config: { url: "https://someone.example/" }
      })
      yield* editImageRepository("n", { spec: { notifications: [hook("build", "https://ci.example/a")] } })
      yield* converge("n")
      expect((yield* inQuay).map((n) => [n.title, n.config])).toEqual([
        ["build", { url: "https://ci.example/a" }],
        ["gone", { url: "https://someone.example/" }]
      ])
      expect(Option.isSome(theirs)).toBe(true)
      expect((yield* recorded).map((s) => s.title)).toEqual(["build"])
      // Spec emptied: ours goes, theirs stays.
      yield* editImageRepository("n", { spec: { notifications: null } })
      yield* converge("n")
      expect((yield* inQuay).map((n) => n.title)).toEqual(["gone"])
    }).pipe(Effect.provide(world())))

  it.effect("bad input is a message and a Warning Event: nothing is sent for it, nothing it had is lost, the rest applies", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a")] })
      yield* converge("n")
      const kept = yield* recorded
      yield* editImageRepository("n", {
        spec: {
          notifications: [
            { title: "build", event: "repo_push", method: "sms", config: { url: "https://ci.example/b" } },
            { title: "mail", event: "repo_push", method: "email", config: {} },
            { title: "tag", event: "tag_created", method: "webhook", config: { url: "https://t.example/" } },
            hook("good", "https://good.example/")
          ]
        }
      })
      yield* converge("n")
      const ir = yield* mustGetImageRepository("n")
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.message).toContain("notification 'build' was not applied: unknown method 'sms'")
      expect(ir.status?.message).toContain("notification 'mail' was not applied: an e-mail notification needs config.email")
      expect(ir.status?.message).toContain("notification 'tag' was not applied: unknown event 'tag_created'")
      expect((yield* inQuay).map((n) => [n.title, n.config])).toEqual([
        ["build", { url: "https://ci.example/a" }],
        ["good", { url: "https://good.example/" }]
      ])
      expect((yield* recorded).find((s) => s.title === "build")).toEqual(kept[0])
      expect((yield* eventsAbout("n")).filter((e) => e.reason === "InvalidNotification")).toHaveLength(3)
      // Bad input costs no Quay call on later passes.
      expect(yield* pass).toBe(0)
    }).pipe(Effect.provide(world())))

  it.effect("an e-mail notification sends its address; Quay's refusal of an unconfirmed one is a message, retried", () =>
    Effect.gen(function*() {
      const mail = { title: "mail", event: "repo_push", method: "email", config: { email: "team@example.com" } }
      yield* applyImageRepository("n", { notifications: [mail] })
      yield* pass
      const ir = yield* mustGetImageRepository("n")
      expect(ir.status?.message).toBe(
        "notification 'mail' was refused by Quay: The specified e-mail address is not authorized to receive notifications for this repository"
      )
      expect(yield* inQuay).toEqual([])
      const control = yield* QuayInMemory.QuayControl
      yield* control.outOfBand.authorizeEmail(repository, "team@example.com")
      yield* pass
      expect((yield* inQuay).map((n) => n.config)).toEqual([{ email: "team@example.com" }])
      expect((yield* mustGetImageRepository("n")).status?.message).toBeUndefined()
    }).pipe(Effect.provide(world())))

  it.effect("a notification endpoint that answers 404 is one clear message: no status churn, no call storm", () =>
    Effect.gen(function*() {
      const control = yield* QuayInMemory.QuayControl
      yield* applyImageRepository("n")
      yield* converge("n")
      yield* control.outOfBand.setNotificationsAvailable(false)
      yield* editImageRepository("n", { spec: { notifications: [hook("build", "https://ci.example/a")] } })
      yield* pass
      const ir = yield* mustGetImageRepository("n")
      expect(ir.status?.state).toBe("ready")
      expect(ir.status?.message).toContain("Quay answered 404 for the notifications of repository 'test-ns/n'")
      expect(ir.status?.notifications).toBeUndefined()
      // Each later pass (the resync) asks Quay once more and writes nothing at all: no Event, no status write, so
      // nothing wakes the object again by itself.
      const kube = yield* KubernetesInMemory.KubernetesControl
      const writes = (yield* kube.calls).writes
      expect(yield* pass).toBe(2) // the repository's ownership, then the list that answers 404
      expect(yield* pass).toBe(2)
      expect((yield* kube.calls).writes).toBe(writes)
      expect((yield* eventsAbout("n")).filter((e) => e.reason === "NotificationsUnavailable")).toHaveLength(1)
      expect((yield* mustGetImageRepository("n")).metadata.resourceVersion).toBe(ir.metadata.resourceVersion)
      yield* control.outOfBand.setNotificationsAvailable(true)
      yield* converge("n")
      expect((yield* inQuay).map((n) => n.title)).toEqual(["build"])
      expect((yield* mustGetImageRepository("n")).status?.message).toBeUndefined()
    }).pipe(Effect.provide(world())))

  it.effect("status the original controller wrote (title and uuid, no fingerprint) is taken over with no Quay call", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a")] })
      yield* converge("n")
      const [first] = yield* recorded
      // As the original left it: the same notification, its status without this operator's fingerprint.
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* kube.patch(Kinds.ImageRepository, ref("n"), { status: { notifications: [{ title: "build", uuid: first?.uuid }] } }, {
        subresource: "status"
      })
      expect(yield* pass).toBe(0) // the takeover costs nothing: the entry is fingerprinted from spec
      expect(yield* recorded).toEqual([first])
      expect((yield* inQuay).map((n) => n.uuid)).toEqual([first?.uuid])
      expect(yield* pass).toBe(0)
      // A later change of that entry replaces the taken-over notification as any other.
      yield* editImageRepository("n", { spec: { notifications: [hook("build", "https://ci.example/b")] } })
      yield* converge("n")
      expect((yield* inQuay).map((n) => n.config)).toEqual([{ url: "https://ci.example/b" }])
      expect((yield* recorded).map((r) => r.uuid)).toEqual((yield* inQuay).map((n) => n.uuid))
    }).pipe(Effect.provide(world())))

  it.effect("a repository deleted behind the operator's back is provisioned again with the notifications spec asks for", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a")] })
      yield* converge("n")
      const control = yield* QuayInMemory.QuayControl
      yield* control.outOfBand.deleteRepository(repository)
      // The change makes the pass confirm the repository, which finds it gone.
      yield* editImageRepository("n", { spec: { notifications: [hook("build", "https://ci.example/b")] } })
      yield* converge("n")
      const quay = yield* inQuay
      expect(quay.map((n) => [n.title, n.config])).toEqual([["build", { url: "https://ci.example/b" }]])
      expect((yield* recorded).map((s) => s.uuid)).toEqual(quay.map((n) => n.uuid))
    }).pipe(Effect.provide(world())))

  it.effect("a new config Quay refuses leaves the old notification working, with Quay's reason in the message", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a")] })
      yield* converge("n")
      const before = yield* recorded
      yield* editImageRepository("n", { spec: { notifications: [hook("build", "http://localhost/x")] } })
      yield* pass
      expect((yield* mustGetImageRepository("n")).status?.message).toBe(
        "notification 'build' was refused by Quay: Invalid webhook URL"
      )
      expect(yield* recorded).toEqual(before)
      expect((yield* inQuay).map((n) => n.config)).toEqual([{ url: "https://ci.example/a" }])
    }).pipe(Effect.provide(world())))

  it.effect("a uuid written into status is acted on only in this object's own repository: another repository's stays", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a")] })
      yield* converge("n")
      const control = yield* QuayInMemory.QuayControl
      yield* control.outOfBand.createRepository({ name: `${namespace}/other` })
      const theirs = yield* control.outOfBand.createNotification(`${namespace}/other`, {
        title: "x",
        event: "repo_push",
        method: "webhook",
        config: { url: "https://other.example/" }
      })
      const [ours] = yield* recorded
      const kube = yield* KubernetesInMemory.KubernetesControl
      yield* kube.patch(Kinds.ImageRepository, ref("n"), {
        status: { notifications: [ours, { title: "x", uuid: Option.getOrElse(theirs, () => "") }] }
      }, { subresource: "status" })
      yield* converge("n")
      const snapshot = yield* quaySnapshot
      expect(snapshot.notifications.filter((n) => n.repository === `${namespace}/other`).map((n) => n.title)).toEqual(["x"])
      expect(yield* recorded).toEqual([ours])
    }).pipe(Effect.provide(world())))

  it.effect("deleting the object needs nothing extra: the repository takes its notifications with it", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("n", { notifications: [hook("build", "https://ci.example/a")] })
      yield* converge("n")
      const control = yield* QuayInMemory.QuayControl
      yield* control.resetCalls
      yield* deleteImageRepository("n")
      yield* reconcileImageRepository(ref("n"))
      expect((yield* control.calls).byOperation.deleteNotification).toBeUndefined()
      expect((yield* quaySnapshot).repositories.map((r) => r.name)).not.toContain(repository)
      expect((yield* quaySnapshot).notifications).toEqual([])
    }).pipe(Effect.provide(world())))
})
