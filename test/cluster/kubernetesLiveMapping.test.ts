/** The pure parts of the live layer: REST paths and the HTTP status → error mapping (the rest is exercised live). */
import { assert, describe, it } from "@effect/vitest"
import { KubeConfig } from "@kubernetes/client-node"
import { ConfigProvider, Effect, Exit, Layer, Stream } from "effect"
import * as KubernetesLive from "../../src/layers/KubernetesLive.ts"
import { fromStatus } from "../../src/layers/kubernetesLive/apiErrors.ts"
import { collectionPath, objectPath } from "../../src/layers/kubernetesLive/paths.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { ImageRepository, Secret } from "../../src/services/ResourceKind.ts"

describe("KubernetesLive paths and errors", () => {
  it("core kinds live under /api/v1, CRDs under /apis/<group>/<version>", () => {
    assert.strictEqual(collectionPath(Secret, "ns"), "/api/v1/namespaces/ns/secrets")
    assert.strictEqual(collectionPath(Secret, undefined), "/api/v1/secrets")
    assert.strictEqual(
      objectPath(ImageRepository, "ns", "ir", "status"),
      "/apis/appstudio.redhat.com/v1alpha1/namespaces/ns/imagerepositories/ir/status"
    )
    assert.strictEqual(collectionPath(ImageRepository, undefined), "/apis/appstudio.redhat.com/v1alpha1/imagerepositories")
  })

  it("maps statuses to typed errors, with the Status message as detail", () => {
    const subject = { kind: "Secret", namespace: "ns", name: "s" }
    const status = { kind: "Status", message: "the object has been modified" }
    const tagOf = (code: number) => fromStatus(code, status, subject)._tag
    assert.deepStrictEqual(
      [404, 409, 400, 422, 401, 403, 410, 429, 500, 503, 415].map(tagOf),
      [
        "KubernetesNotFound",
        "KubernetesConflict",
        "KubernetesInvalid",
        "KubernetesInvalid",
        "KubernetesForbidden",
        "KubernetesForbidden",
        "KubernetesGone",
        "KubernetesUnavailable",
        "KubernetesUnavailable",
        "KubernetesUnavailable",
        "KubernetesInvalid"
      ]
    )
    assert.include(fromStatus(409, status, subject).message, "the object has been modified")
    assert.include(fromStatus(502, "<html>bad gateway</html>", subject).message, "bad gateway")
    const transient = fromStatus(429, undefined, subject)
    assert.isTrue(transient._tag === "KubernetesUnavailable" && transient.transient && transient.status === 429)
  })

  it.effect("a kubeconfig that cannot be read is a KubeConfigError naming the file", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.provide(Effect.asVoid(Kubernetes), KubernetesLive.layer({ kubeconfig: "no-such-dir/kubeconfig" }).pipe(Layer.fresh))
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      assert.strictEqual(error?._tag, "KubeConfigError")
      assert.include(error?.message ?? "", "no-such-dir/kubeconfig")
    }))
})

describe("KubernetesLive kubeconfig errors", () => {
  it.scoped("a malformed kubeconfig's error keeps the reason and line but never the token", () =>
    Effect.gen(function*() {
      const fs = yield* Effect.promise(() => import("node:fs/promises"))
      const os = yield* Effect.promise(() => import("node:os"))
      const nodePath = yield* Effect.promise(() => import("node:path"))
      const dir = yield* Effect.acquireRelease(
        Effect.promise(() => fs.mkdtemp(nodePath.join(os.tmpdir(), "kubeconfig-"))),
        (d) => Effect.promise(() => fs.rm(d, { recursive: true, force: true }))
      )
      const file = nodePath.join(dir, "config")
      const token = "SUPERSECRETTOKEN123"
      // The token line is indented wrongly: js-yaml's message would quote it.
      const content = [
        "apiVersion: v1",
        "kind: Config",
        "users:",
        "- name: u",
        "  user:",
        `    token: ${token}`,
        "   bad: indentation",
        ""
      ].join("\n")
      yield* Effect.promise(() => fs.writeFile(file, content))
      const fromEnvironment = Effect.withConfigProvider(
        Layer.build(KubernetesLive.layerConfig(KubernetesLive.configFromEnvironment)),
        ConfigProvider.fromMap(new Map([["KUBECONFIG", file]]))
      )
      for (const load of [Layer.build(KubernetesLive.layer({ kubeconfig: file })), fromEnvironment]) {
        const exit = yield* Effect.exit(load)
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(error?._tag, "KubeConfigError")
        assert.notInclude(error?.message ?? "", token)
        assert.notInclude(String(error), token)
        assert.notInclude(JSON.stringify(error), token)
        assert.include(error?.message ?? "", "bad indentation of a mapping entry at line 7")
      }
    }))
})

describe("KubernetesLive watch of objects that no longer decode", () => {
  /** An apiserver stand-in on 127.0.0.1 whose watch sends `lines`, then ends. */
  const fakeApiserver = (lines: ReadonlyArray<unknown>) =>
    Effect.gen(function*() {
      const http = yield* Effect.promise(() => import("node:http"))
      const server = yield* Effect.acquireRelease(
        Effect.async<import("node:http").Server>((resume) => {
          const s = http.createServer((_req, res) => {
            res.writeHead(200, { "content-type": "application/json" })
            for (const line of lines) res.write(`${JSON.stringify(line)}\n`)
            res.end()
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) =>
          Effect.async<void>((resume) => {
            s.closeAllConnections()
            s.close(() => resume(Effect.void))
          })
      )
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const kc = new KubeConfig()
      kc.loadFromOptions({
        clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
        users: [{ name: "fake" }],
        contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
        currentContext: "fake"
      })
      return yield* KubernetesLive.make({ kubeconfig: kc })
    })

  const repository = (name: string, resourceVersion: string, spec: unknown) => ({
    apiVersion: "appstudio.redhat.com/v1alpha1",
    kind: "ImageRepository",
    metadata: { namespace: "ns", name, resourceVersion },
    spec
  })

  it.scoped("a MODIFIED object that does not decode ends the watch with Gone, so the watcher relists", () =>
    Effect.gen(function*() {
      const kubernetes = yield* fakeApiserver([
        { type: "ADDED", object: repository("ok", "6", {}) },
        // Never in the watcher's store: skipped as before.
        { type: "ADDED", object: repository("broken-from-birth", "7", 42) },
        { type: "MODIFIED", object: repository("ok", "8", 42) }
      ])
      const events: Array<string> = []
      const exit = yield* kubernetes.watch(ImageRepository, { resourceVersion: "5" }).pipe(
        Stream.runForEach((event) =>
          Effect.sync(() => events.push(event.type === "BOOKMARK" ? "BOOKMARK" : `${event.type} ${event.object.metadata.name}`))
        ),
        Effect.timeout("10 seconds"),
        Effect.exit
      )
      assert.deepStrictEqual(events, ["ADDED ok"])
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      assert.strictEqual(error?._tag, "KubernetesGone")
    }))
})

describe("the apiserver's throttling hint", () => {
  it("a 429 Status carries details.retryAfterSeconds into KubernetesUnavailable", () => {
    const error = fromStatus(
      429,
      { kind: "Status", message: "too many requests", reason: "TooManyRequests", details: { retryAfterSeconds: 3 } },
      { kind: "Secret", namespace: "ns", name: "s" }
    )
    assert.strictEqual(error._tag, "KubernetesUnavailable")
    assert.strictEqual(error._tag === "KubernetesUnavailable" ? error.retryAfterSeconds : undefined, 3)
    const plain = fromStatus(503, { message: "unavailable" }, { kind: "Secret", name: "s" })
    assert.strictEqual(plain._tag === "KubernetesUnavailable" ? plain.retryAfterSeconds : "other", undefined)
  })
})
