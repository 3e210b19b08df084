/**
 * The operator's token as the original controller takes it: the `quaytoken` Secret mounted as files, the token file
 * read again as it changes (at most every 30 s), the environment winning when set.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Option, Redacted, TestClock } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { typedFailure } from "../support/typedFailure.ts"

const org = "acme"
const firstToken = "first-token-2b7c"
const rotatedToken = "rotated-token-9d1e"

/** A directory laid out as the kubelet mounts the Secret: one file per key. */
const mountedSecret = (files: Readonly<Record<string, string>>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "quaytoken-"))
      for (const [key, value] of Object.entries(files)) await Fs.writeFile(Path.join(dir, key), value)
      return dir
    }),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )

const fromEnvironment = (env: Readonly<Record<string, string>>) =>
  Effect.withConfigProvider(QuayHttp.configFromEnvironment, ConfigProvider.fromMap(new Map(Object.entries(env))))

const quayOver = (config: QuayHttp.QuayHttpConfig) =>
  Layer.build(QuayHttp.layer(config)).pipe(Effect.map(Context.get(Quay)))

describe("QuayHttp: the token from the mounted quaytoken Secret", () => {
  it.scoped("reads organization and quayapiurl from the mount point and names the token file", () =>
    Effect.gen(function*() {
      const dir = yield* mountedSecret({
        organization: " acme\n",
        quaytoken: `${firstToken}\n`,
        quayapiurl: "https://quay.example.com/api/v1\n"
      })
      const config = yield* fromEnvironment({ QUAY_SECRET_MOUNT_POINT: dir })
      assert.strictEqual(config.organization, "acme")
      assert.strictEqual(config.apiUrl, "https://quay.example.com/api/v1")
      assert.strictEqual(config.token, undefined)
      assert.strictEqual(config.tokenFile, Path.join(dir, "quaytoken"))
    }))

  it.scoped("environment variables win over the files when set", () =>
    Effect.gen(function*() {
      const dir = yield* mountedSecret({ organization: "from-file", quaytoken: firstToken })
      const config = yield* fromEnvironment({
        QUAY_SECRET_MOUNT_POINT: dir,
        QUAY_ORG: "from-env",
        QUAY_TOKEN: rotatedToken,
        QUAY_API_URL: "http://127.0.0.1:1/api/v1"
      })
      assert.strictEqual(config.organization, "from-env")
      assert.strictEqual(config.apiUrl, "http://127.0.0.1:1/api/v1")
      assert.strictEqual(config.tokenFile, undefined)
      assert.strictEqual(config.token === undefined ? undefined : Redacted.value(config.token), rotatedToken)
    }))

  it.scoped("without QUAY_TOKEN and without the file, the error names both", () =>
    Effect.gen(function*() {
      const dir = yield* mountedSecret({ organization: "acme" })
      const error = yield* Effect.flip(fromEnvironment({ QUAY_SECRET_MOUNT_POINT: dir }))
      assert.include(String(error), "QUAY_TOKEN is not set")
      assert.include(String(error), `${Path.join(dir, "quaytoken")} (key 'quaytoken' of the quaytoken Secret)`)
      // An empty QUAY_ORG counts as unset: the file decides.
      const fromFile = yield* fromEnvironment({ QUAY_SECRET_MOUNT_POINT: dir, QUAY_TOKEN: firstToken, QUAY_ORG: "" })
      assert.strictEqual(fromFile.organization, "acme")
      yield* Effect.promise(() => Fs.rm(Path.join(dir, "organization")))
      const missingOrg = yield* Effect.flip(fromEnvironment({ QUAY_SECRET_MOUNT_POINT: dir, QUAY_TOKEN: firstToken }))
      assert.include(String(missingOrg), "QUAY_ORG is not set")
      assert.include(String(missingOrg), `${Path.join(dir, "organization")} (key 'organization' of the quaytoken Secret)`)
    }))

  it.scoped("a rotated token file is used by the next request once 30 s have passed, without a restart", () =>
    Effect.gen(function*() {
      const simulator = yield* QuaySimulator.start({ organization: org, token: firstToken })
      simulator.model.putRepository({ name: "t/app", owner: "operator" })
      const dir = yield* mountedSecret({ organization: org, quaytoken: firstToken })
      const config = yield* fromEnvironment({ QUAY_SECRET_MOUNT_POINT: dir, QUAY_API_URL: simulator.apiUrl })
      const quay = yield* quayOver(config)
      assert.isTrue(Option.isSome(yield* quay.getRepository("t/app")))

      // The Secret is rotated: Quay knows only the new token, and the kubelet rewrites the file.
      simulator.model.addUser("operator", { organization: org, role: "admin", token: rotatedToken })
      simulator.model.revokeToken(firstToken)
      yield* Effect.promise(() => Fs.writeFile(Path.join(dir, "quaytoken"), `${rotatedToken}\n`))

      // Within the refresh period the token read before is still in use, and Quay no longer knows it.
      const stale = yield* typedFailure(quay.getRepository("t/app"))
      assert.strictEqual(stale._tag, "QuayUnauthorized")
      yield* TestClock.adjust("30 seconds")
      assert.isTrue(Option.isSome(yield* quay.getRepository("t/app")), "the next request carries the rotated bearer")
    }))

  it.scoped("a missing or empty token file fails the request with an error that names the file and key", () =>
    Effect.gen(function*() {
      const simulator = yield* QuaySimulator.start({ organization: org, token: firstToken })
      const dir = yield* mountedSecret({ organization: org, quaytoken: "   \n" })
      const tokenFile = Path.join(dir, "quaytoken")
      const quay = yield* quayOver({ apiUrl: simulator.apiUrl, organization: org, tokenFile })
      const empty = yield* typedFailure(quay.getRepository("t/app"))
      assert.strictEqual(empty._tag, "QuayUnauthorized")
      assert.strictEqual(empty.message, `the operator's Quay token is unusable: the token file ${tokenFile} (key 'quaytoken' of the quaytoken Secret) is empty`)
      yield* Effect.promise(() => Fs.rm(tokenFile))
      const missing = yield* typedFailure(quay.listRobots())
      assert.strictEqual(
        missing.message,
        `the operator's Quay token is unusable: cannot read the token file ${tokenFile} (key 'quaytoken' of the quaytoken Secret): ENOENT`
      )
      // Nothing reached Quay: a request without the token would only be refused.
      assert.strictEqual(simulator.model.requestCounts().total, 0)
      yield* Effect.promise(() => Fs.writeFile(tokenFile, firstToken))
      assert.isTrue(Option.isNone(yield* quay.getRepository("t/app")), "a fixed file is read at once: failures are not kept")
    }))
})
