/** How the live layer finds its kubeconfig and credentials, and what a bad one or an absent apiserver gives. */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { KubeConfig } from "@kubernetes/client-node"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import * as KubernetesLive from "../../src/layers/KubernetesLive.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import type { KubernetesError } from "../../src/services/KubernetesError.ts"
import { Secret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { kubeconfigPath } from "./support.ts"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined

const tagOf = <A>(exit: Exit.Exit<A, KubernetesError>): string | undefined => failureOf(exit)?._tag

describe("KubernetesLive: kubeconfig, credentials and an unreachable apiserver", () => {
  it.live("a wrong token is KubernetesForbidden", () =>
    Effect.gen(function*() {
      const kc = new KubeConfig()
      kc.loadFromFile(kubeconfigPath())
      kc.users = kc.users.map((u) => ({ ...u, token: "wrong-token" }))
      const exit = yield* Effect.exit(
        Effect.flatMap(Kubernetes, (k8s) => k8s.get(Secret, { namespace: "default", name: "x" })).pipe(
          Effect.provide(KubernetesLive.layer({ kubeconfig: kc }).pipe(Layer.orDie))
        )
      )
      assert.strictEqual(tagOf(exit), "KubernetesForbidden")
    }))

  it.live("configFromEnvironment follows KUBECONFIG (and sees the ServiceAccount kube-controller-manager made)", () =>
    Effect.gen(function*() {
      const sa = yield* Effect.flatMap(Kubernetes, (k8s) => k8s.get(ServiceAccount, { namespace: "default", name: "default" })).pipe(
        Effect.provide(KubernetesLive.layerConfig(KubernetesLive.configFromEnvironment).pipe(Layer.orDie)),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["KUBECONFIG", kubeconfigPath()]])))
      )
      assert.isTrue(Option.isSome(sa))
    }))

  it.scoped("KUBECONFIG may list several files, merged: credentials in one, the current context in another", () =>
    Effect.gen(function*() {
      const kc = new KubeConfig()
      kc.loadFromFile(kubeconfigPath())
      const whole = JSON.parse(kc.exportConfig()) as Record<string, unknown>
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "kubeconfigs-"))),
        (d) => Effect.sync(() => Fs.rmSync(d, { recursive: true, force: true }))
      )
      const credentials = Path.join(dir, "credentials")
      const context = Path.join(dir, "context")
      const { clusters, contexts, "current-context": current, users } = whole
      Fs.writeFileSync(credentials, JSON.stringify({ apiVersion: "v1", kind: "Config", clusters, users }))
      Fs.writeFileSync(context, JSON.stringify({ apiVersion: "v1", kind: "Config", contexts, "current-context": current }))
      const sa = yield* Effect.flatMap(Kubernetes, (k8s) => k8s.get(ServiceAccount, { namespace: "default", name: "default" })).pipe(
        Effect.provide(KubernetesLive.layerConfig(KubernetesLive.configFromEnvironment).pipe(Layer.orDie)),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["KUBECONFIG", `${credentials}${Path.delimiter}${context}`]])))
      )
      assert.isTrue(Option.isSome(sa))
    }))

  it.scoped("a static JSON kubeconfig, read without client-node, reaches the apiserver with a token or a client certificate", () =>
    Effect.gen(function*() {
      const kc = new KubeConfig()
      kc.loadFromFile(kubeconfigPath())
      const whole = JSON.parse(kc.exportConfig()) as { readonly contexts: ReadonlyArray<{ readonly context: object }> }
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "kubeconfig-json-"))),
        (d) => Effect.sync(() => Fs.rmSync(d, { recursive: true, force: true }))
      )
      for (const user of ["admin", "admin-cert"]) {
        const file = Path.join(dir, `${user}.json`)
        const contexts = whole.contexts.map((c) => ({ ...c, context: { ...c.context, user } }))
        Fs.writeFileSync(file, JSON.stringify({ ...whole, contexts }))
        const sa = yield* Effect.flatMap(Kubernetes, (k8s) => k8s.get(ServiceAccount, { namespace: "default", name: "default" })).pipe(
          Effect.provide(KubernetesLive.layer({ kubeconfig: file }).pipe(Layer.orDie))
        )
        assert.isTrue(Option.isSome(sa), user)
      }
    }))

  it.live("an apiserver that does not answer is KubernetesUnavailable", () =>
    Effect.gen(function*() {
      const kc = new KubeConfig()
      kc.loadFromFile(kubeconfigPath())
      // Port 1 on loopback: nothing listens there, so the connection is refused.
      kc.clusters = kc.clusters.map((c) => ({ ...c, server: "https://127.0.0.1:1" }))
      const exit = yield* Effect.exit(
        Effect.flatMap(Kubernetes, (k8s) => k8s.list(Secret, { namespace: "default" })).pipe(
          Effect.provide(KubernetesLive.layer({ kubeconfig: kc }).pipe(Layer.orDie))
        )
      )
      assert.strictEqual(tagOf(exit), "KubernetesUnavailable")
      assert.notInclude(failureOf(exit)?.message ?? "", kc.users[0]?.token ?? "no-token")
    }))
})
