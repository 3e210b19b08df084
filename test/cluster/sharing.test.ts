/** The cluster lock (no cluster needed): abandoned locks are broken, live ones waited for, audibly. */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Option } from "effect"
import { withLock } from "../../src/cluster/Sharing.ts"

const tempLock = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "cluster-lock-test-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
).pipe(Effect.map((dir) => Path.join(dir, "cluster.lock")))

const ago = (path: string, seconds: number) => {
  const then = new Date(Date.now() - seconds * 1000)
  Fs.utimesSync(path, then, then)
}

describe("Sharing.withLock", () => {
  it.scopedLive("breaks a lock without a pid once it is a few seconds old (its holder died before writing one)", () =>
    Effect.gen(function*() {
      const lockDir = yield* tempLock
      Fs.mkdirSync(lockDir)
      ago(lockDir, 60)
      const heard: Array<string> = []
      const result = yield* withLock(lockDir, Effect.succeed("ran"), (line) => heard.push(line)).pipe(
        Effect.timeoutTo({ duration: "10 seconds", onSuccess: Option.some, onTimeout: Option.none })
      )
      assert.deepStrictEqual(result, Option.some("ran"))
      assert.isFalse(Fs.existsSync(lockDir))
    }))

  it.scopedLive("waits for a live holder and says for whom, instead of waiting silently", () =>
    Effect.gen(function*() {
      const lockDir = yield* tempLock
      Fs.mkdirSync(lockDir)
      // This test process is alive, so its lock must be respected.
      Fs.writeFileSync(Path.join(lockDir, "pid"), String(process.pid))
      ago(lockDir, 60)
      const heard: Array<string> = []
      const result = yield* withLock(lockDir, Effect.succeed("ran"), (line) => heard.push(line)).pipe(
        Effect.timeoutTo({ duration: "4500 millis", onSuccess: Option.some, onTimeout: Option.none })
      )
      assert.deepStrictEqual(result, Option.none())
      assert.strictEqual(heard.length, 1)
      assert.include(heard[0], `held by pid ${process.pid}`)
      assert.isTrue(Fs.existsSync(Path.join(lockDir, "pid")))
    }))
})
