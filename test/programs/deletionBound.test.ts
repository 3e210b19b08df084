import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Option, TestClock } from "effect"
import { Transient } from "../../src/domain/ReconcileError.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as CleanupDeadline from "../../src/programs/CleanupDeadline.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { Quay } from "../../src/services/Quay.ts"
import { QuayInvalidRequest, QuayUnauthorized, QuayUnavailable } from "../../src/services/QuayError.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { refuseQuay } from "./QuaySpy.ts"
import {
  applyImageRepository,
  converge,
  deleteImageRepository,
  eventsAbout,
  getImageRepository,
  mustGetImageRepository,
  namespace,
  putRecordingObject,
  quaySnapshot,
  ref,
  world
} from "./World.ts"

const finalizer = "appstudio.openshift.io/image-repository"

/** A provisioned object, deleted: what the robot and repository of it are called in Quay. */
const deleted = (name: string, extra?: Record<string, unknown>) =>
  Effect.gen(function*() {
    yield* applyImageRepository(name, undefined, extra)
    yield* converge(name)
    const ir = yield* mustGetImageRepository(name)
    yield* deleteImageRepository(name)
    return { robot: `my-org+${ir.status?.credentials?.["push-robot-account"]}`, repository: `my-org/${namespace}/${name}` }
  })

const reconcileWith = (quay: Quay | undefined, name: string) =>
  Effect.either(
    quay === undefined ? reconcileImageRepository(ref(name)) : reconcileImageRepository(ref(name)).pipe(Effect.provideService(Quay, quay))
  )

const stillHeld = (name: string) => Effect.map(getImageRepository(name), (ir) => ir?.metadata.finalizers?.includes(finalizer) === true)

const leftoverEvents = (name: string) =>
  Effect.map(eventsAbout(name), (events) => events.filter((e) => e.reason === "QuayCleanupIncomplete"))

describe("deletion that always finishes", () => {
  it.effect("a Quay outage is retried until the deadline; then the finalizer goes and a Warning names what was left", () =>
    Effect.gen(function*() {
      const quay = yield* QuayInMemory.QuayControl
      const { repository, robot } = yield* deleted("sample")
      yield* quay.injectFaults({ kind: "5xx", rate: 1 })

      const first = yield* reconcileImageRepository(ref("sample")).pipe(Effect.flip)
      expect(first).toBeInstanceOf(Transient)
      expect(first.message).toContain(robot)
      // The work queue comes back by the deadline at the latest.
      expect(Duration.toMillis(first.retryWithin ?? Duration.infinity)).toBe(Duration.toMillis("5 minutes"))
      expect(yield* stillHeld("sample")).toBe(true)

      yield* TestClock.adjust("299 seconds")
      expect(Either.isLeft(yield* reconcileWith(undefined, "sample"))).toBe(true)
      expect(yield* stillHeld("sample")).toBe(true)
      expect(yield* leftoverEvents("sample")).toEqual([])

      yield* TestClock.adjust("1 second")
      expect(Either.isRight(yield* reconcileWith(undefined, "sample"))).toBe(true)
      expect(yield* getImageRepository("sample")).toBeUndefined()
      const [event, ...others] = yield* leftoverEvents("sample")
      expect(others).toEqual([])
      expect(event?.type).toBe("Warning")
      expect(event?.message).toContain(robot)
      expect(event?.message).toContain(repository)
      expect(event?.message).toContain("orphan sweep")
      // Left for the sweep: both still in Quay, both still marked.
      const held = yield* quaySnapshot
      expect(held.repositories.map((r) => r.name)).toEqual([`${namespace}/sample`])
      expect(held.robots).toHaveLength(1)
    }).pipe(Effect.provide(world())))

  it.effect("a revoked organisation token cannot leave the object (or its namespace) stuck past the deadline", () =>
    Effect.gen(function*() {
      const { robot } = yield* deleted("sample")
      const revoked = refuseQuay(yield* Quay, new QuayUnauthorized({ status: 401, detail: "invalid_token" }))

      const first = yield* reconcileWith(revoked, "sample")
      expect(Either.isLeft(first) ? first.left.reason : undefined).toBe("QuayUnauthorized")
      expect(yield* stillHeld("sample")).toBe(true)

      yield* TestClock.adjust("5 minutes")
      expect(Either.isRight(yield* reconcileWith(revoked, "sample"))).toBe(true)
      expect(yield* getImageRepository("sample")).toBeUndefined()
      const [event] = yield* leftoverEvents("sample")
      expect(event?.message).toContain("Quay refused the operator's token")
      expect(event?.message).toContain(robot)
    }).pipe(Effect.provide(world())))

  it.effect("a request Quay will never accept releases the finalizer at once; what did work is gone", () =>
    Effect.gen(function*() {
      const { repository, robot } = yield* deleted("sample")
      const refusing = refuseQuay(yield* Quay, new QuayInvalidRequest({ status: 400, detail: "no" }), {
        operations: ["deleteRobot"]
      })
      expect(Either.isRight(yield* reconcileWith(refusing, "sample"))).toBe(true)
      expect(yield* getImageRepository("sample")).toBeUndefined()
      expect((yield* quaySnapshot).repositories).toEqual([])
      const [event] = yield* leftoverEvents("sample")
      expect(event?.message).toContain(robot)
      expect(event?.message).not.toContain(repository)
    }).pipe(Effect.provide(world())))

  it.effect("the deadline is a setting", () =>
    Effect.gen(function*() {
      yield* deleted("sample")
      const revoked = refuseQuay(yield* Quay, new QuayUnauthorized({ status: 401, detail: "invalid_token" }))
      expect(Either.isLeft(yield* reconcileWith(revoked, "sample"))).toBe(true)
      yield* TestClock.adjust("30 seconds")
      expect(Either.isRight(yield* reconcileWith(revoked, "sample"))).toBe(true)
      expect(yield* getImageRepository("sample")).toBeUndefined()
    }).pipe(Effect.provide(world()), Effect.provide(CleanupDeadline.layer("30 seconds"))))

  it.effect("within the deadline, the repository waits for a robot still to be retried, then both go", () =>
    Effect.gen(function*() {
      yield* deleted("sample")
      let failures = 1
      const flaky = refuseQuay(yield* Quay, new QuayUnavailable({ status: 502, detail: "bad gateway" }), {
        operations: ["deleteRobot"],
        failing: () => failures-- > 0
      })
      expect(Either.isLeft(yield* reconcileWith(flaky, "sample"))).toBe(true)
      expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual([`${namespace}/sample`])
      expect(Either.isRight(yield* reconcileWith(flaky, "sample"))).toBe(true)
      expect(yield* quaySnapshot).toMatchObject({ repositories: [], robots: [] })
      expect(yield* leftoverEvents("sample")).toEqual([])
    }).pipe(Effect.provide(world())))
})

describe("what a deletion keeps", () => {
  /** `first` provisioned and deleted while another object, in `state`, records its repository. */
  const deletedBeside = (state: "ready" | "failed") =>
    Effect.gen(function*() {
      yield* applyImageRepository("first")
      yield* converge("first")
      yield* putRecordingObject("second", (yield* mustGetImageRepository("first")).status?.image?.url, state)
      yield* deleteImageRepository("first")
      yield* converge("first")
      expect(yield* getImageRepository("first")).toBeUndefined()
      return yield* quaySnapshot
    })

  it.effect("a repository another live ImageRepository uses stays; the deleted object's robot goes", () =>
    Effect.gen(function*() {
      const quay = yield* deletedBeside("ready")
      expect(quay.repositories.map((r) => r.name)).toEqual([`${namespace}/first`])
      expect(quay.robots).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("a failed object that records the repository does not keep it", () =>
    Effect.gen(function*() {
      expect((yield* deletedBeside("failed")).repositories).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("an object of the original controller loses its push and pull robots, each confirmed by its grant", () =>
    Effect.gen(function*() {
      const kube = yield* KubernetesInMemory.KubernetesControl
      const quay = yield* Quay
      yield* quay.createRepository({ name: `${namespace}/legacy`, visibility: "public", description: "AppStudio repository for the user" })
      const push = yield* quay.createRobot("test_ns_legacy_1a2b3c4d5e", "Robot account for Konflux Component")
      const pull = yield* quay.createRobot("test_ns_legacy_0f1e2d3c4b_pull", "Robot account for Konflux Component")
      yield* quay.setPermission(`${namespace}/legacy`, push.name, "write")
      yield* quay.setPermission(`${namespace}/legacy`, pull.name, "read")
      yield* kube.put(Kinds.ImageRepository, {
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "ImageRepository",
        metadata: { name: "legacy", namespace, finalizers: [finalizer] },
        spec: { image: { name: `${namespace}/legacy`, visibility: "public" } },
        status: {
          state: "ready",
          image: { url: `quay.io/my-org/${namespace}/legacy`, visibility: "public" },
          credentials: {
            "push-robot-account": "test_ns_legacy_1a2b3c4d5e",
            "push-secret": "legacy-image-push",
            "pull-robot-account": "test_ns_legacy_0f1e2d3c4b_pull",
            "pull-secret": "legacy-image-pull"
          }
        }
      })
      yield* deleteImageRepository("legacy")
      yield* converge("legacy")
      expect(yield* getImageRepository("legacy")).toBeUndefined()
      expect(yield* quaySnapshot).toMatchObject({ repositories: [], robots: [] })
      expect(Option.isNone(yield* quay.getRobot("test_ns_legacy_0f1e2d3c4b_pull"))).toBe(true)
    }).pipe(Effect.provide(world())))
})
