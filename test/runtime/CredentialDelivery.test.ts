/**
 * The credentials mode in force: REMOTE_SECRETS (auto by default, a flag too) and what discovery finds at start, said
 * in one log line.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Logger } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as CredentialDelivery from "../../src/runtime/CredentialDelivery.ts"
import * as OperatorConfig from "../../src/runtime/OperatorConfig.ts"
import { RemoteSecret } from "../../src/services/ResourceKind.ts"

const loadWith = (env: Record<string, string>) =>
  OperatorConfig.load.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

/** Resolves against an in-memory apiserver that does (or does not) serve RemoteSecrets; the decision and the log. */
const resolveWith = (requested: CredentialDelivery.RemoteSecretMode, served: boolean) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const capture = Logger.make(({ message }) => {
      lines.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const decision = yield* CredentialDelivery.resolve(requested).pipe(
      Effect.provide(KubernetesInMemory.layer(served ? {} : { unserved: [RemoteSecret] })),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture))
    )
    return { decision, lines }
  })

describe("REMOTE_SECRETS", () => {
  it.effect("defaults to auto; on and off are taken; anything else is refused", () =>
    Effect.gen(function*() {
      assert.strictEqual(Either.getOrThrow(yield* loadWith({})).remoteSecrets, "auto")
      assert.strictEqual(Either.getOrThrow(yield* loadWith({ REMOTE_SECRETS: "on" })).remoteSecrets, "on")
      assert.strictEqual(Either.getOrThrow(yield* loadWith({ REMOTE_SECRETS: "off" })).remoteSecrets, "off")
      assert.isTrue(Either.isLeft(yield* loadWith({ REMOTE_SECRETS: "yes" })))
    }))

  it("is also the flag --remote-secrets", () => {
    assert.deepStrictEqual(
      Either.map(OperatorConfig.fromArguments(["--remote-secrets=off"]), (m) => Object.fromEntries(m)),
      Either.right({ REMOTE_SECRETS: "off" })
    )
  })
})

describe("the credentials mode at start", () => {
  it("auto follows discovery; on and off override it", () => {
    assert.deepStrictEqual(CredentialDelivery.decide("auto", true), { delivery: "remote-secrets", served: true })
    assert.deepStrictEqual(CredentialDelivery.decide("auto", false), { delivery: "secrets", served: false })
    assert.deepStrictEqual(CredentialDelivery.decide("on", false), { delivery: "remote-secrets", served: false })
    assert.deepStrictEqual(CredentialDelivery.decide("off", true), { delivery: "secrets", served: true })
  })

  it.effect("asks the apiserver and says which mode is in force", () =>
    Effect.gen(function*() {
      const served = yield* resolveWith("auto", true)
      assert.strictEqual(served.decision.delivery, "remote-secrets")
      assert.deepStrictEqual(served.lines, [
        "credentials mode: RemoteSecret (REMOTE_SECRETS=auto; appstudio.redhat.com/v1beta1 remotesecrets served)"
      ])
      const absent = yield* resolveWith("auto", false)
      assert.strictEqual(absent.decision.delivery, "secrets")
      assert.deepStrictEqual(absent.lines, [
        "credentials mode: Secret (REMOTE_SECRETS=auto; appstudio.redhat.com/v1beta1 remotesecrets not served)"
      ])
      const forced = yield* resolveWith("on", false)
      assert.strictEqual(forced.decision.delivery, "remote-secrets")
      assert.strictEqual(forced.lines.length, 2, "a warning that nothing is delivered until the API is served")
    }))
})
