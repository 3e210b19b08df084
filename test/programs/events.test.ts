import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { applyImageRepository, converge, editImageRepository, eventCountsAbout, eventsAbout, world } from "./World.ts"

describe("Warning Events: what a user must act on shows in kubectl describe", () => {
  it.effect("a failed creation records one Warning with the reason and message of the status", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("p", { image: { visibility: "private" } })
      yield* converge("p")
      yield* converge("p")
      expect(yield* eventsAbout("p")).toEqual([
        {
          type: "Warning",
          reason: "PrivateRepositoriesLimit",
          message: "Number of private repositories exceeds current quay plan limit"
        }
      ])
    }).pipe(Effect.provide(world("free"))))

  it.effect("each change that is put back records one Warning; a converged object records none", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("r")
      yield* converge("r")
      expect((yield* eventsAbout("r")).filter((e) => e.type === "Warning")).toEqual([])
      yield* editImageRepository("r", { spec: { image: { name: "renamed", visibility: "private" } } })
      yield* converge("r")
      yield* converge("r")
      // Listed by name, and names end in a hash: compare in a fixed order.
      const events = (yield* eventsAbout("r"))
        .filter((e) => e.type === "Warning")
        .toSorted((a, b) => a.reason.localeCompare(b.reason))
      expect(events.map((e) => [e.type, e.reason])).toEqual([
        ["Warning", "ImageNameImmutable"],
        ["Warning", "PrivateRepositoriesLimit"]
      ])
    }).pipe(Effect.provide(world("free"))))

  it.effect("the same occurrence again counts up one Event's series, as client-go's recorder aggregates", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("again")
      yield* converge("again")
      for (let i = 0; i < 3; i++) {
        yield* editImageRepository("again", { spec: { image: { name: "renamed" } } })
        yield* converge("again")
      }
      const counts = (yield* eventCountsAbout("again")).toSorted(([a], [b]) => a.localeCompare(b))
      expect(counts).toEqual([["ImageNameImmutable", 3], ["Provisioned", 1]])
    }).pipe(Effect.provide(world())))
})
