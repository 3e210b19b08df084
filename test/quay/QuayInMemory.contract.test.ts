import { Context, Effect, Layer } from "effect"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { Quay } from "../../src/services/Quay.ts"
import { quayContract } from "./contract.ts"

quayContract("QuayInMemory", ({ organization }) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(QuayInMemory.layer({ organization }))
    const control = Context.get(context, QuayInMemory.QuayControl)
    return {
      quay: Context.get(context, Quay),
      authorize: control.authorize,
      setPlan: control.setPlan
    }
  }))
