import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Option } from "effect"
import { parseDurationText } from "../../src/domain/DurationText.ts"
import * as OperatorConfig from "../../src/runtime/OperatorConfig.ts"

const loadWith = (env: Record<string, string>) =>
  OperatorConfig.load.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

describe("OperatorConfig", () => {
  it.effect("defaults: all namespaces, 16 workers, 10 minute resync, leader election with OpenShift timings", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(
        yield* loadWith({ LEADER_ELECTION: "true", POD_NAMESPACE: "operators", POD_NAME: "op-0" })
      )
      assert.isTrue(Option.isNone(config.watchNamespace))
      assert.strictEqual(config.workers, 16)
      assert.strictEqual(Duration.toMinutes(config.resyncPeriod), 10)
      const election = Option.getOrThrow(config.leaderElection)
      assert.deepStrictEqual(election.lease, { namespace: "operators", name: "image-repository-operator" })
      assert.strictEqual(election.identity, "op-0")
      assert.strictEqual(Duration.toSeconds(election.leaseDuration), 137)
      assert.strictEqual(Duration.toSeconds(election.renewDeadline), 107)
      assert.strictEqual(Duration.toSeconds(election.retryPeriod), 26)
      assert.strictEqual(Duration.toMinutes(config.cleanupDeadline), 5)
      assert.isTrue(Option.isNone(config.orphanSweepInterval), "the sweep is off unless asked for")
    }))

  it.effect("leader election is off unless asked for, so a local run needs no Lease namespace", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(yield* loadWith({}))
      assert.isTrue(Option.isNone(config.leaderElection))
    }))

  it("takes kubebuilder's flags: --leader-elect, --metrics-bind-address, --health-probe-bind-address", () => {
    const settings = (args: ReadonlyArray<string>) => Either.map(OperatorConfig.fromArguments(args), (m) => Object.fromEntries(m))
    assert.deepStrictEqual(settings(["--leader-elect"]), Either.right({ LEADER_ELECTION: "true" }))
    assert.deepStrictEqual(settings(["--leader-elect=false"]), Either.right({ LEADER_ELECTION: "false" }))
    assert.deepStrictEqual(
      settings(["--metrics-bind-address=:8080", "--health-probe-bind-address", "0.0.0.0:8081"]),
      Either.right({ METRICS_PORT: "8080", HEALTH_PORT: "8081" })
    )
    assert.deepStrictEqual(settings(["--metrics-bind-address=0"]), Either.right({ METRICS_PORT: "0" }))
    const unknown = OperatorConfig.fromArguments(["--zap-devel"])
    assert.isTrue(Either.isLeft(unknown) && unknown.left.includes("--leader-elect"))
    assert.isTrue(Either.isLeft(OperatorConfig.fromArguments(["--health-probe-bind-address"])))
  })

  it.effect("reads every setting", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(
        yield* loadWith({
          WATCH_NAMESPACE: "team-a",
          WORKERS: "8",
          LEADER_ELECTION: "true",
          RESYNC_PERIOD: "30 seconds",
          LEASE_NAMESPACE: "leases",
          LEASE_NAME: "iro",
          POD_NAME: "op-1",
          LEASE_DURATION: "3m",
          RENEW_DEADLINE: "2 minutes",
          RETRY_PERIOD: "1m30s",
          CLEANUP_DEADLINE: "90s",
          ORPHAN_SWEEP_INTERVAL: "1h"
        })
      )
      assert.strictEqual(Duration.toSeconds(config.cleanupDeadline), 90)
      assert.deepStrictEqual(Option.map(config.orphanSweepInterval, Duration.toMinutes), Option.some(60))
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
      const missing = yield* loadWith({ LEADER_ELECTION: "true" })
      assert.isTrue(Either.isLeft(missing) && String(missing.left).includes("LEASE_NAMESPACE"))
      const workers = yield* loadWith({ LEADER_ELECTION: "false", WORKERS: "0" })
      assert.isTrue(Either.isLeft(workers) && String(workers.left).includes("WORKERS"))
      const sweep = yield* loadWith({ LEADER_ELECTION: "false", ORPHAN_SWEEP_INTERVAL: "sometimes" })
      assert.isTrue(Either.isLeft(sweep) && String(sweep.left).includes("ORPHAN_SWEEP_INTERVAL"))
      const zero = yield* loadWith({ LEADER_ELECTION: "false", ORPHAN_SWEEP_INTERVAL: "0s" })
      assert.isTrue(Either.isLeft(zero) && String(zero.left).includes("or off"))
      const off = yield* loadWith({ LEADER_ELECTION: "false", ORPHAN_SWEEP_INTERVAL: "Off" })
      assert.isTrue(Either.isRight(off) && Option.isNone(off.right.orphanSweepInterval))
      const timings = yield* loadWith({ LEADER_ELECTION: "true", POD_NAMESPACE: "x", RENEW_DEADLINE: "200 seconds" })
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
