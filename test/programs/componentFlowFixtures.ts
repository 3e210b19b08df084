/** The repository every legacy Component flow test provisions, and how to read its visibility. */
import { Effect } from "effect"
import { applyComponent, convergeComponent, generate, mustGetComponent } from "./ComponentWorld.ts"
import { namespace, organization, quaySnapshot } from "./World.ts"

export const repository = `${namespace}/city-transit/billing`
export const url = `quay.io/${organization}/${repository}`
export const privateRefused = "Quay organization plan doesn't allow private image repositories"

/** The spec's example Component, annotated as the spec shows, and served. */
export const generated = (visibility: "public" | "private" = "public") =>
  Effect.gen(function*() {
    yield* applyComponent("billing", { [generate]: `{"visibility": "${visibility}"}` })
    yield* convergeComponent("billing")
    return yield* mustGetComponent("billing")
  })

export const quayVisibility = Effect.map(quaySnapshot, (s) => s.repositories.find((r) => r.name === repository)?.visibility)
