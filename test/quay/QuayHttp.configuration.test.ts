/** QuayHttp's configuration: QUAY_* variables, an additional CA bundle, and what the layer refuses when built. */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, Option, Redacted } from "effect"
import * as Fs from "node:fs/promises"
import * as Https from "node:https"
import * as Os from "node:os"
import * as Path from "node:path"
import type { AddressInfo } from "node:net"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import {
  type PlainAnswer,
  json,
  repositoryBody,
  config,
  liveQuay,
  failure,
  fakeServer,
  fakeQuay,
  repositoryOk
} from "./scriptedQuayServer.ts"

// A self-signed certificate for 127.0.0.1 (valid until 2126), made for this test only: a self-hosted Quay
// whose CA the system does not trust.
const testCaCertificate = `-----BEGIN CERTIFICATE-----
MIIBlTCCATygAwIBAgIUEOuFN9idzr1M0jEmlhm0+MtZlREwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMcXVheS10ZXN0LWNhMCAXDTI2MTEyNDAzMDk0NFoYDzIxMjYx
MDMxMDMwOTQ0WjAXMRUwEwYDVQQDDAxxdWF5LXRlc3QtY2EwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAATQ0EIR4BnaV6wdHhoma3SQ2bNX8M3z1ZQu4U9XrnHQpvHR
tUTQ8/zIdcBXFq1RrvR4gUAoKJpqy9+k/hOCGh0ro2QwYjAdBgNVHQ4EFgQUV0SY
N6cj6OLQDR5jDTvY/wAE9sAwHwYDVR0jBBgwFoAUV0SYN6cj6OLQDR5jDTvY/wAE
9sAwDwYDVR0RBAgwBocEfwAAATAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMC
A0cAMEQCIBTK9dn25jO237BRwEN3Prh1Sqscc1EbqCqB9xS2ZBFBAiBGJqNbJKye
mNCJ0X5kUeqln3E1JDKdIQ7+hz9pX21E+g==
-----END CERTIFICATE-----`
const testServerKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9OyYHTiNTviuVtLh
HY+LN2GfJPLQSVQfBY3bKzD0dcyhRANCAATQ0EIR4BnaV6wdHhoma3SQ2bNX8M3z
1ZQu4U9XrnHQpvHRtUTQ8/zIdcBXFq1RrvR4gUAoKJpqy9+k/hOCGh0r
-----END PRIVATE KEY-----`

const httpsServer = (answer: PlainAnswer) =>
  Effect.acquireRelease(
    Effect.async<Https.Server>((resume) => {
      const server = Https.createServer({ key: testServerKey, cert: testCaCertificate }, (_, res) => {
        res.writeHead(answer.status, answer.headers ?? {})
        res.end(answer.body ?? "")
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `https://127.0.0.1:${(server.address() as AddressInfo).port}`))

const tempFile = (name: string, content: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "quay-ca-"))
      const file = Path.join(dir, name)
      await Fs.writeFile(file, content)
      return file
    }),
    (file) => Effect.promise(() => Fs.rm(Path.dirname(file), { recursive: true, force: true }))
  )

describe("QuayHttp configuration", () => {
  it.effect("reads QUAY_* variables: trimmed, empty means unset, bare numbers are seconds", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        Effect.withConfigProvider(QuayHttp.configFromEnvironment, ConfigProvider.fromMap(new Map(Object.entries(env))))
      const minimal = yield* read({ QUAY_ORG: " acme ", QUAY_TOKEN: "tok\n", QUAY_API_URL: "", QUAY_TIMEOUT: "" })
      assert.strictEqual(minimal.apiUrl, "https://quay.io/api/v1")
      assert.strictEqual(minimal.organization, "acme")
      assert.strictEqual(minimal.token === undefined ? undefined : Redacted.value(minimal.token), "tok")
      assert.strictEqual(minimal.timeout, undefined)
      const full = yield* read({
        QUAY_ORG: "acme",
        QUAY_TOKEN: "tok",
        QUAY_API_URL: "https://quay.example.com/api/v1",
        QUAY_ADDITIONAL_CA: "ca.pem",
        QUAY_TIMEOUT: "5",
        QUAY_RATE_LIMIT: "2.5",
        QUAY_BURST: "10",
        QUAY_HTTP2: " On "
      })
      assert.deepStrictEqual(
        { ...full, token: full.token === undefined ? undefined : Redacted.value(full.token), timeout: Duration.toMillis(Duration.decode(full.timeout ?? 0)) },
        {
          apiUrl: "https://quay.example.com/api/v1",
          organization: "acme",
          token: "tok",
          additionalCaPath: "ca.pem",
          timeout: 5000,
          http2: true,
          requestsPerSecond: 2.5,
          burst: 10,
          maxConcurrentRequests: undefined
        }
      )
      const badTimeout = yield* Effect.flip(read({ QUAY_ORG: "acme", QUAY_TOKEN: "tok", QUAY_TIMEOUT: "soon" }))
      assert.include(String(badTimeout), "QUAY_TIMEOUT")
      assert.strictEqual((yield* read({ QUAY_ORG: "acme", QUAY_TOKEN: "tok", QUAY_HTTP2: "off" })).http2, false)
      const badSwitch = yield* Effect.flip(read({ QUAY_ORG: "acme", QUAY_TOKEN: "tok", QUAY_HTTP2: "maybe" }))
      assert.include(String(badSwitch), "QUAY_HTTP2")
      const missingToken = yield* Effect.flip(read({ QUAY_ORG: "acme" }))
      assert.include(String(missingToken), "QUAY_TOKEN")
    }))

  it.scopedLive("QUAY_ADDITIONAL_CA: a self-hosted Quay with a private CA is trusted only with the bundle", () =>
    Effect.gen(function*() {
      const url = yield* httpsServer(json(200, repositoryBody("t/a")))
      const caPath = yield* tempFile("ca.pem", testCaCertificate)
      const trusting = yield* liveQuay(url, { additionalCaPath: caPath })
      assert.isTrue(Option.isSome(yield* trusting.getRepository("t/a")))
      const untrusting = yield* liveQuay(url)
      const error = yield* failure(untrusting.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayUnavailable")
      assert.match(error.message, /certificate/i)
    }))

  it.effect("an unreadable additional CA bundle fails the layer with a clear error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Layer.build(QuayHttp.layer({ ...config("https://quay.test"), additionalCaPath: "does-not-exist/ca.pem" })).pipe(Effect.scoped)
      )
      assert.strictEqual(error._tag, "QuayHttpConfigError")
      assert.include(error.message, "does-not-exist/ca.pem")
    }))

  it.effect("rejects a bad URL and nonsensical limits when the layer is built", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed(repositoryOk))
      const badUrl = yield* Effect.flip(Effect.scoped(fakeQuay(server, { apiUrl: "not a url" })))
      const badBurst = yield* Effect.flip(Effect.scoped(fakeQuay(server, { burst: 0 })))
      assert.strictEqual(badUrl._tag, "QuayHttpConfigError")
      assert.include(badBurst.message, "burst")
    }))

  it.effect("registryHost is the API URL's host[:port]; a trailing slash is harmless", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed(repositoryOk))
      const quayIo = yield* Effect.scoped(fakeQuay(server, { apiUrl: "https://quay.io/api/v1/" }))
      const selfHosted = yield* Effect.scoped(fakeQuay(server, { apiUrl: "https://registry.example.com:8443/api/v1" }))
      assert.strictEqual(quayIo.registryHost, "quay.io")
      assert.strictEqual(selfHosted.registryHost, "registry.example.com:8443")
    }))
})
