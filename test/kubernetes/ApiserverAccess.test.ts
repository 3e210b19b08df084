/** Credentials from a client-node KubeConfig: fixed ones worked out once, refreshed ones (exec plugins) per request. */
import type * as Https from "node:https"
import { assert, describe, it } from "@effect/vitest"
import { KubeConfig } from "@kubernetes/client-node"
import { Effect } from "effect"
import { fromKubeConfig } from "../../src/layers/kubernetesLive/ApiserverAccess.ts"

/** Counts how often client-node is asked for the request options, and hands out a new token each time. */
class CountingKubeConfig extends KubeConfig {
  calls = 0
  override applyToHTTPSOptions(opts: Https.RequestOptions): Promise<void> {
    this.calls++
    opts.headers = { ...opts.headers, Authorization: `Bearer token-${this.calls}` }
    return Promise.resolve()
  }
}

const kubeConfig = (user: Record<string, unknown>): CountingKubeConfig => {
  const kc = new CountingKubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://apiserver:6443/", skipTLSVerify: false }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx"
  })
  return kc
}

describe("ApiserverAccess.fromKubeConfig", () => {
  it.effect("a user with a fixed token: its headers are worked out once, not per request", () =>
    Effect.gen(function*() {
      const kc = kubeConfig({ token: "fixed" })
      const access = yield* fromKubeConfig(kc)
      assert.strictEqual(access.server, "https://apiserver:6443")
      const first = yield* access.credentials
      const second = yield* access.credentials
      assert.deepStrictEqual(first, second)
      // Once for TLS material and once for the headers, both at load; none per request.
      const atLoad = kc.calls
      yield* access.credentials
      assert.strictEqual(kc.calls, atLoad)
    }))

  it.effect("a user with an exec plugin: asked on every request, so refreshed tokens are used", () =>
    Effect.gen(function*() {
      const kc = kubeConfig({ exec: { command: "never-run", apiVersion: "client.authentication.k8s.io/v1" } })
      const access = yield* fromKubeConfig(kc)
      const first = yield* access.credentials
      const second = yield* access.credentials
      assert.notDeepEqual(first, second)
      assert.match(second["Authorization"] ?? "", /^Bearer token-\d+$/)
    }))
})
