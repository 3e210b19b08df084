import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import { isQuiet } from "../../src/programs/quietPass.ts"
import * as Target from "../../src/programs/Target.ts"
import { defaults } from "../../src/services/ProgramSettings.ts"
import { Quay } from "../../src/services/Quay.ts"
import { applyImageRepository, componentLabels, converge, mustGetImageRepository, world } from "./World.ts"

/** A converged object, its recorded target, and whether a variation of it is quiet. */
const converged = (labels?: Record<string, unknown>) =>
  Effect.gen(function*() {
    yield* applyImageRepository("sample", undefined, labels)
    yield* converge("sample")
    const ir = yield* mustGetImageRepository("sample")
    const quay = yield* Quay
    const quiet = (vary: (ir: ImageRepository) => ImageRepository = (x) => x) => {
      const varied = vary(ir)
      const target = Option.getOrThrow(Target.recorded(varied, quay))
      const { damages } = Target.inspect(varied, quay)
      return isQuiet(varied, target, damages, defaults)
    }
    return { ir, quiet }
  })

const withSpec = (ir: ImageRepository, spec: Record<string, unknown>): ImageRepository =>
  ({ ...ir, spec: { ...ir.spec, ...spec } }) as ImageRepository

describe("a quiet pass", () => {
  it.effect("is a converged general-purpose object's pass", () =>
    Effect.gen(function*() {
      const { quiet } = yield* converged()
      expect(quiet()).toBe(true)
    }).pipe(Effect.provide(world("paid"))))

  it.effect("is not one where anything in spec or status asks for a step", () =>
    Effect.gen(function*() {
      const { ir, quiet } = yield* converged()
      const image = ir.spec?.image ?? {}
      const variations: Record<string, (ir: ImageRepository) => ImageRepository> = {
        "a rename": (x) => withSpec(x, { image: { ...image, name: "other" } }),
        "a removed name": (x) => withSpec(x, { image: { ...image, name: undefined } }),
        "a visibility change": (x) => withSpec(x, { image: { ...image, visibility: "private" } }),
        "a removed visibility": (x) => withSpec(x, { image: { ...image, visibility: undefined } }),
        "an invalid visibility": (x) => withSpec(x, { image: { ...image, visibility: "secret" } }),
        "regenerate-token": (x) => withSpec(x, { credentials: { "regenerate-token": true } }),
        "verify-linking": (x) => withSpec(x, { credentials: { "verify-linking": true } }),
        "a notification": (x) =>
          withSpec(x, { notifications: [{ title: "t", event: "repo_push", method: "webhook", config: { url: "https://x" } }] }),
        "a recorded notification": (x) =>
          ({ ...x, status: { ...x.status, notifications: [{ title: "t", uuid: "u" }] } }) as ImageRepository,
        "a removed finalizer": (x) => ({ ...x, metadata: { ...x.metadata, finalizers: [] } }),
        "a status visibility not the spec's": (x) =>
          ({ ...x, status: { ...x.status, image: { ...x.status?.image, visibility: "private" } } }) as ImageRepository,
        "a damaged robot field": (x) =>
          ({
            ...x,
            status: { ...x.status, credentials: { ...x.status?.credentials, "push-robot-account": "someone_else" } }
          }) as ImageRepository
      }
      for (const [what, vary] of Object.entries(variations)) {
        expect({ what, quiet: quiet(vary) }).toEqual({ what, quiet: false })
      }
    }).pipe(Effect.provide(world("paid"))))

  it.effect("is not a component repository's whose pipeline account is to be linked", () =>
    Effect.gen(function*() {
      const { quiet } = yield* converged(componentLabels())
      expect(quiet()).toBe(false)
    }).pipe(Effect.provide(world("paid"))))
})
