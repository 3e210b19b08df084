/** The kubeconfig forms read without @kubernetes/client-node: a pod's service account and a static JSON kubeconfig. */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Option, TestClock } from "effect"
import type { ApiserverAccess } from "../../src/layers/kubernetesLive/ApiserverAccess.ts"
import { inCluster, staticKubeConfig } from "../../src/layers/kubernetesLive/nativeKubeConfig.ts"

const tempDirectory = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "native-kubeconfig-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const base64 = (text: string) => Buffer.from(text).toString("base64")

const kubeconfig = (cluster: Record<string, unknown>, user: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "other", cluster: { server: "https://other:6443" } }, { name: "c", cluster }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx"
  })

const access = (option: Option.Option<ApiserverAccess>): ApiserverAccess => {
  assert.isTrue(Option.isSome(option))
  return Option.getOrThrow(option)
}

describe("in-cluster configuration", () => {
  it.scoped("reaches KUBERNETES_SERVICE_HOST with the mounted CA and token, and reads a rotated token a minute later", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      Fs.writeFileSync(Path.join(dir, "ca.crt"), "CA PEM")
      Fs.writeFileSync(Path.join(dir, "token"), "first-token")
      const found = yield* inCluster({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" }, dir)
      assert.strictEqual(found.server, "https://10.0.0.1:443")
      assert.strictEqual(String(found.tls.ca), "CA PEM")
      assert.deepStrictEqual(yield* found.credentials, { Authorization: "Bearer first-token" })

      Fs.writeFileSync(Path.join(dir, "token"), "rotated-token")
      assert.deepStrictEqual(yield* found.credentials, { Authorization: "Bearer first-token" })
      yield* TestClock.adjust(Duration.seconds(61))
      assert.deepStrictEqual(yield* found.credentials, { Authorization: "Bearer rotated-token" })
    }))

  it.scoped("brackets an IPv6 host and speaks plain HTTP on the insecure ports, as client-node does", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      Fs.writeFileSync(Path.join(dir, "ca.crt"), "CA PEM")
      Fs.writeFileSync(Path.join(dir, "token"), "t")
      const v6 = yield* inCluster({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, dir)
      assert.strictEqual(v6.server, "https://[fd00::1]:443")
      const plain = yield* inCluster({ KUBERNETES_SERVICE_HOST: "apiserver", KUBERNETES_SERVICE_PORT: "8080" }, dir)
      assert.strictEqual(plain.server, "http://apiserver:8080")
    }))

  it.scoped("without the service's variables or the CA it is a KubeConfigError", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      const noEnvironment = yield* Effect.exit(inCluster({}, dir))
      assert.isTrue(Exit.isFailure(noEnvironment))
      const noCa = yield* Effect.flip(inCluster({ KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "443" }, dir))
      assert.strictEqual(noCa._tag, "KubeConfigError")
      assert.include(noCa.message, "ca.crt")
    }))

  it.scoped("a token file that cannot be read fails the request's credentials, not the configuration", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      Fs.writeFileSync(Path.join(dir, "ca.crt"), "CA PEM")
      const found = yield* inCluster({ KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "443" }, dir)
      const error = yield* Effect.flip(found.credentials)
      assert.strictEqual(error._tag, "KubernetesUnavailable")
    }))
})

describe("static JSON kubeconfig", () => {
  it.scoped("reads the current context's cluster and token user", () =>
    Effect.gen(function*() {
      const text = kubeconfig(
        { server: "https://apiserver:6443/", "certificate-authority-data": base64("CA PEM"), "tls-server-name": "kubernetes" },
        { token: "the-token" }
      )
      const found = access(yield* staticKubeConfig("/nowhere/config", text))
      assert.strictEqual(found.server, "https://apiserver:6443")
      assert.strictEqual(String(found.tls.ca), "CA PEM")
      assert.strictEqual(found.tls.servername, "kubernetes")
      assert.isUndefined(found.tls.rejectUnauthorized)
      assert.deepStrictEqual(yield* found.credentials, { Authorization: "Bearer the-token" })
    }))

  it.scoped("reads a client certificate and key, files relative to the kubeconfig, and insecure-skip-tls-verify", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      Fs.writeFileSync(Path.join(dir, "client.crt"), "CERT PEM")
      const text = kubeconfig(
        { server: "https://apiserver:6443", "insecure-skip-tls-verify": true },
        { "client-certificate": "client.crt", "client-key-data": base64("KEY PEM") }
      )
      const found = access(yield* staticKubeConfig(Path.join(dir, "config"), text))
      assert.strictEqual(String(found.tls.cert), "CERT PEM")
      assert.strictEqual(String(found.tls.key), "KEY PEM")
      assert.strictEqual(found.tls.rejectUnauthorized, false)
      assert.deepStrictEqual(yield* found.credentials, {})
    }))

  it.effect("leaves YAML, exec plugins, auth providers, basic auth, impersonation and proxies to client-node", () =>
    Effect.gen(function*() {
      const cluster = { server: "https://apiserver:6443" }
      const others = [
        "apiVersion: v1\nkind: Config\n",
        kubeconfig(cluster, { exec: { command: "get-token" } }),
        kubeconfig(cluster, { "auth-provider": { name: "oidc" } }),
        kubeconfig(cluster, { username: "u", password: "p" }),
        kubeconfig(cluster, { token: "t", as: "someone" }),
        kubeconfig({ ...cluster, "proxy-url": "http://proxy:3128" }, { token: "t" }),
        JSON.stringify({ clusters: [], users: [], contexts: [], "current-context": "absent" })
      ]
      for (const text of others) {
        assert.isTrue(Option.isNone(yield* staticKubeConfig("/nowhere/config", text)), text)
      }
    }))

  it.scoped("a certificate file that cannot be read is a KubeConfigError naming it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      const text = kubeconfig({ server: "https://apiserver:6443", "certificate-authority": "missing-ca.crt" }, {})
      const error = yield* Effect.flip(staticKubeConfig(Path.join(dir, "config"), text))
      assert.strictEqual(error._tag, "KubeConfigError")
      assert.include(error.message, "missing-ca.crt")
    }))
})
