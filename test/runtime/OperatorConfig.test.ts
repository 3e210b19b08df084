import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Option } from "effect"
import { parseDurationText } from "../../src/domain/DurationText.ts"
import * as OperatorConfig from "../../src/runtime/OperatorConfig.ts"

const loadWith = (env: Record<string, string>) =>
  OperatorConfig.load.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

describe("OperatorConfig", () => {
  it.effect("defaults: all namespaces, 2 workers, 10 minute resync, leader election with OpenShift timings", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(yield* loadWith({ POD_NAMESPACE: "operators", POD_NAME: "op-0" }))
      assert.isTrue(Option.isNone(config.watchNamespace))
      assert.strictEqual(config.workers, 2)
      assert.strictEqual(Duration.toMinutes(config.resyncPeriod), 10)
      const election = Option.getOrThrow(config.leaderElection)
      assert.deepStrictEqual(election.lease, { namespace: "operators", name: "image-repository-operator" })
      assert.strictEqual(election.identity, "op-0")
      assert.strictEqual(Duration.toSeconds(election.leaseDuration), 137)
      assert.strictEqual(Duration.toSeconds(election.renewDeadline), 107)
      assert.strictEqual(Duration.toSeconds(election.retryPeriod), 26)
    }))

  it.effect("reads every setting", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(
        yield* loadWith({
          WATCH_NAMESPACE: "team-a",
          WORKERS: "8",
          RESYNC_PERIOD: "30 seconds",
          LEASE_NAMESPACE: "leases",
          LEASE_NAME: "iro",
          POD_NAME: "op-1",
          LEASE_DURATION: "3m",
          RENEW_DEADLINE: "2 minutes",
          RETRY_PERIOD: "1m30s"
        })
      )
      assert.deepStrictEqual(config.watchNamespace, Option.some("team-a"))
      assert.strictEqual(config.workers, 8)
      assert.strictEqual(Duration.toSeconds(config.resyncPeriod), 30)
      const election = Option.getOrThrow(config.leaderElection)
      assert.deepStrictEqual(election.lease, { namespace: "leases", name: "iro" })
      assert.strictEqual(Duration.toSeconds(election.retryPeriod), 90)
      assert.strictEqual(Duration.toSeconds(election.renewDeadline), 120)
      assert.strictEqual(Duration.toSeconds(election.leaseDuration), 180)
    }))

  it.effect("the pipeline ServiceAccount: appstudio-pipeline by default, a template when set, refused when unusable", () =>
    Effect.gen(function*() {
      const base = { LEADER_ELECTION: "false" }
      const account = (env: Record<string, string>) =>
        Effect.map(loadWith({ ...base, ...env }), Either.map((c) => c.programSettings.pipelineServiceAccount))
      assert.deepStrictEqual(yield* account({}), Either.right("appstudio-pipeline"))
      assert.deepStrictEqual(yield* account({ PIPELINE_SERVICE_ACCOUNT: " " }), Either.right("appstudio-pipeline"))
      assert.deepStrictEqual(
        yield* account({ PIPELINE_SERVICE_ACCOUNT: "build-pipeline-{component}" }),
        Either.right("build-pipeline-{component}")
      )
      const unknown = yield* account({ PIPELINE_SERVICE_ACCOUNT: "build-{name}" })
      assert.isTrue(Either.isLeft(unknown) && String(unknown.left).includes("unknown placeholder {name}"))
      const invalid = yield* account({ PIPELINE_SERVICE_ACCOUNT: "Pipeline_SA" })
      assert.isTrue(Either.isLeft(invalid) && String(invalid.left).includes("PIPELINE_SERVICE_ACCOUNT"))
    }))

  it.effect("needs no Lease settings when leader election is off", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(yield* loadWith({ LEADER_ELECTION: "false", WATCH_NAMESPACE: "" }))
      assert.isTrue(Option.isNone(config.leaderElection))
      assert.isTrue(Option.isNone(config.watchNamespace))
    }))

  it.effect("refuses a missing Lease namespace, bad numbers and inconsistent timings", () =>
    Effect.gen(function*() {
      const missing = yield* loadWith({})
      assert.isTrue(Either.isLeft(missing) && String(missing.left).includes("LEASE_NAMESPACE"))
      const workers = yield* loadWith({ LEADER_ELECTION: "false", WORKERS: "0" })
      assert.isTrue(Either.isLeft(workers) && String(workers.left).includes("WORKERS"))
      const timings = yield* loadWith({ POD_NAMESPACE: "x", RENEW_DEADLINE: "200 seconds" })
      assert.isTrue(Either.isLeft(timings) && String(timings.left).includes("RENEW_DEADLINE < LEASE_DURATION"))
    }))

  it("parses Go and Effect durations", () => {
    const millis = (text: string) => Option.map(Either.getRight(parseDurationText(text)), Duration.toMillis)
    assert.deepStrictEqual(millis("90s"), Option.some(90_000))
    assert.deepStrictEqual(millis("1h30m"), Option.some(5_400_000))
    assert.deepStrictEqual(millis("500ms"), Option.some(500))
    assert.deepStrictEqual(millis("10 minutes"), Option.some(600_000))
    assert.isTrue(Either.isLeft(parseDurationText("soon")))
    assert.isTrue(Either.isLeft(parseDurationText("10x")))
  })

  it.effect("every duration setting takes the same forms: seconds, Go's and words; an error names them", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(
        yield* loadWith({ LEADER_ELECTION: "false", RESYNC_PERIOD: "600" })
      )
      assert.strictEqual(Duration.toMillis(config.resyncPeriod), 600_000)
      const compound = Either.getOrThrow(yield* loadWith({ LEADER_ELECTION: "false", RESYNC_PERIOD: "1m30s" }))
      assert.strictEqual(Duration.toMillis(compound.resyncPeriod), 90_000)
      const bad = yield* loadWith({ LEADER_ELECTION: "false", RESYNC_PERIOD: "10x" })
      assert.isTrue(Either.isLeft(bad))
      if (Either.isLeft(bad)) {
        assert.include(String(bad.left), "RESYNC_PERIOD")
        assert.include(String(bad.left), "90s, 1m30s")
      }
    }))
})
