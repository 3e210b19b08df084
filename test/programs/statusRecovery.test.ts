/**
 * A status that lost the repository this object was provisioned with (its URL tampered with, or removed) while
 * spec.image.name was changed in the same window: the long soak's defect. The repository marked for this object
 * under its namespace is put back into status before anything is provisioned, so the rename is reverted as any
 * rename is, and no second repository is made for the same object.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import { isOwnedBy } from "../../src/domain/Ownership.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { spyOnQuay } from "./QuaySpy.ts"
import {
  applyImageRepository,
  converge,
  deleteImageRepository,
  editImageRepository,
  eventsAbout,
  getImageRepository,
  mustGetImageRepository,
  namespace,
  organization,
  quaySnapshot,
  ref,
  secretGrants,
  world
} from "./World.ts"

/** A user (or tool) with `imagerepositories/status` rights writing what it likes. */
const tamperStatus = (name: string, status: Record<string, unknown>) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.patch(Kinds.ImageRepository, ref(name), { status }, { subresource: "status" })
  )

const provisioned = (name: string) =>
  Effect.gen(function*() {
    yield* applyImageRepository(name)
    yield* converge(name)
    return yield* mustGetImageRepository(name)
  })

/** The repositories in Quay marked for the object, and the ones its push robot holds a grant on. */
const inQuayFor = (ir: ImageRepository) =>
  Effect.map(quaySnapshot, (snapshot) => ({
    marked: snapshot.repositories.filter((r) => isOwnedBy(r.description, ir.metadata)).map((r) => r.name),
    granted: snapshot.permissions
      .filter((p) => p.username === `${organization}+${ir.status?.credentials?.["push-robot-account"] ?? ""}`)
      .map((p) => p.repository)
  }))

/** Converged after the race: one repository, the one it was given at creation, the rename reverted with a message. */
const expectRecovered = (name: string, before: ImageRepository) =>
  Effect.gen(function*() {
    const after = yield* mustGetImageRepository(name)
    expect(yield* inQuayFor(after)).toEqual({ marked: [`${namespace}/${name}`], granted: [`${namespace}/${name}`] })
    expect(after.status?.image?.url).toBe(before.status?.image?.url)
    expect(after.status?.state).toBe("ready")
    expect(after.spec?.image?.name).toBe(`${namespace}/${name}`)
    expect(after.status?.message).toContain("cannot be changed after creation")
    expect(yield* secretGrants(after, `${namespace}/${name}`)).toBe(true)
    const reasons = (yield* eventsAbout(name)).filter((e) => e.type === "Warning").map((e) => e.reason)
    expect(reasons).toContain("ImageNameImmutable")
    return after
  })

describe("a status that lost its repository while spec.image.name was changed", () => {
  it.effect("the soak's race: URL tampered to another namespace's, rename in the same window; no second repository", () =>
    Effect.gen(function*() {
      const before = yield* provisioned("a")
      yield* tamperStatus("a", { image: { url: `quay.io/${organization}/not-${namespace}/stolen` } })
      yield* editImageRepository("a", { spec: { image: { name: "renamed" } } })
      yield* converge("a")
      yield* expectRecovered("a", before)
      const reasons = (yield* eventsAbout("a")).filter((e) => e.type === "Warning").map((e) => e.reason)
      expect(reasons).toContain("StatusDamaged")
    }).pipe(Effect.provide(world())))

  it.effect("URL naming another object's repository in the same namespace, and a rename", () =>
    Effect.gen(function*() {
      const other = yield* provisioned("b")
      const before = yield* provisioned("a")
      yield* tamperStatus("a", { image: { url: other.status?.image?.url } })
      yield* editImageRepository("a", { spec: { image: { name: "renamed" } } })
      yield* converge("a")
      yield* expectRecovered("a", before)
      expect((yield* inQuayFor(yield* mustGetImageRepository("b"))).marked).toEqual([`${namespace}/b`])
    }).pipe(Effect.provide(world())))

  it.effect("URL removed altogether, and a rename", () =>
    Effect.gen(function*() {
      const before = yield* provisioned("a")
      yield* tamperStatus("a", { image: null })
      yield* editImageRepository("a", { spec: { image: { name: "renamed" } } })
      yield* converge("a")
      yield* expectRecovered("a", before)
    }).pipe(Effect.provide(world())))

  it.effect("deleted in that state: the repository it was given at creation goes, nothing is left marked for it", () =>
    Effect.gen(function*() {
      const before = yield* provisioned("a")
      yield* tamperStatus("a", { image: { url: `quay.io/${organization}/not-${namespace}/stolen` } })
      yield* editImageRepository("a", { spec: { image: { name: "renamed" } } })
      yield* deleteImageRepository("a")
      yield* converge("a")
      expect(yield* getImageRepository("a")).toBeUndefined()
      expect((yield* inQuayFor(before)).marked).toEqual([])
    }).pipe(Effect.provide(world())))

  it.effect("costs nothing extra where nothing was lost: first provisioning lists no repositories", () =>
    Effect.gen(function*() {
      const spy = yield* spyOnQuay
      yield* applyImageRepository("a")
      yield* converge("a").pipe(Effect.provideService(Quay, spy.quay))
      expect(spy.calls.filter((call) => call.startsWith("listRepositories"))).toEqual([])
    }).pipe(Effect.provide(world())))
})
