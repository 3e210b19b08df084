/**
 * Secrets hygiene inside the process, where spans and metrics can be observed (the operator process exports
 * neither): a whole life (provisioning, rotation, a lost Secret, a damaged status, Quay and apiserver faults,
 * deletion) runs with a recording tracer and a logger that keeps every line at every level; no span name,
 * attribute, event or exit, no log line or annotation, no error, no stored object other than the Secrets, and no
 * metric may hold a robot token.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Logger, LogLevel, Metric, Option, Redacted } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import * as Telemetry from "../../src/runtime/Telemetry.ts"
import { findTokens, scanAll } from "../support/TokenScan.ts"
import { applyImageRepository, editImageRepository, deleteImageRepository, ref, world } from "./World.ts"

const show = (value: unknown): string =>
  JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v))

describe("no robot token in spans, logs, errors, Events, statuses or metrics", () => {
  it.effect("over a whole life with faults", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
        lines.push(`${logLevel.label} ${show(message)} ${show(Object.fromEntries(annotations))} ${Cause.isEmpty(cause) ? "" : Cause.pretty(cause)}`)
      })
      const errors: Array<string> = []
      const quay = yield* QuayInMemory.QuayControl
      const kube = yield* KubernetesInMemory.KubernetesControl
      const tokens = new Set<string>()
      const sampleTokens = Effect.gen(function*() {
        for (const robot of (yield* quay.snapshot).robots) {
          const token = yield* quay.robotToken(robot.shortName)
          if (Option.isSome(token)) tokens.add(Redacted.value(token.value))
        }
      })
      const pass = (name: string) =>
        reconcileImageRepository(ref(name)).pipe(
          Effect.exit,
          Effect.tap((exit) => (Exit.isFailure(exit) ? Effect.sync(() => errors.push(`${Cause.pretty(exit.cause)} ${show(Cause.squash(exit.cause))}`)) : Effect.void)),
          Effect.andThen(sampleTokens),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
      const passes = (name: string, n: number) => Effect.forEach(Array.from({ length: n }), () => pass(name), { discard: true })

      yield* applyImageRepository("v")
      yield* applyImageRepository("h", undefined, { labels: { "appstudio.redhat.com/component": "comp" } })
      yield* passes("v", 3)
      yield* passes("h", 3)
      // Rotation with Quay failing first, then the Secret write failing.
      yield* editImageRepository("h", { spec: { credentials: { "regenerate-token": true, "verify-linking": true } } })
      yield* quay.injectFaults({ kind: "5xx", next: 2 })
      yield* passes("h", 3)
      yield* kube.failNext(1, { verbs: ["patch", "create"] })
      yield* editImageRepository("h", { spec: { credentials: { "regenerate-token": true } } })
      yield* passes("h", 4)
      // A lost Secret, restored from the robot's current token, with the apiserver hiccuping.
      yield* kube.remove(Kinds.Secret, { namespace: "test-ns", name: "h-image-push" })
      yield* kube.failNext(1, { verbs: ["create"] })
      yield* passes("h", 3)
      // A status naming the other object's robot, with the Secret gone: the damage is reported.
      const victim = yield* kube.getRaw(Kinds.ImageRepository, ref("v"))
      const victimRobot = Option.getOrThrow(victim).status as { credentials: Record<string, string> }
      yield* kube.patch(Kinds.ImageRepository, ref("h"), { status: { credentials: { "push-robot-account": victimRobot.credentials["push-robot-account"] } } }, { subresource: "status" })
      yield* kube.remove(Kinds.Secret, { namespace: "test-ns", name: "h-image-push" })
      yield* passes("h", 3)
      const beforeDeletion = (yield* kube.snapshot).filter((o) => o["kind"] !== "Secret")
      yield* deleteImageRepository("h")
      yield* quay.injectFaults({ kind: "5xx", next: 1 })
      yield* passes("h", 3)

      const spans = yield* Effect.flatMap(Telemetry.SpanRecorder, (recorder) => recorder.spans)
      const stored = [...beforeDeletion, ...(yield* kube.snapshot).filter((o) => o["kind"] !== "Secret")]
      const texts = [
        ...spans.map((s) => ({
          source: `span ${s.name}`,
          text: `${s.name} ${show(s.attributes)} ${show((s as { events?: unknown }).events ?? [])} ${s.status._tag === "Ended" && Exit.isFailure(s.status.exit) ? Cause.pretty(s.status.exit.cause) : ""}`
        })),
        ...lines.map((text) => ({ source: "log", text })),
        ...errors.map((text) => ({ source: "error", text })),
        ...stored.map((o) => ({ source: `${String(o["kind"])}`, text: show(o) })),
        { source: "metrics", text: show(Metric.unsafeSnapshot()) }
      ]
      const findings = scanAll(texts, tokens)
      process.stdout.write(
        `secrets hygiene (in process): ${spans.length} spans, ${lines.length} log lines, ${errors.length} errors, ${stored.length} objects, metrics; ${tokens.size} robot tokens looked for: ${findings.length} found\n`
      )
      expect(tokens.size).toBeGreaterThanOrEqual(4)
      expect(spans.length).toBeGreaterThan(20)
      expect(errors.length).toBeGreaterThan(0)
      expect(findings).toEqual([])
      // The scan does find a token where one is: the Secrets it left out hold them, base64 in base64.
      const secrets = (yield* kube.snapshot).filter((o) => o["kind"] === "Secret")
      expect(secrets.flatMap((o) => findTokens("Secret", show(o), tokens)).length).toBeGreaterThan(0)
    }).pipe(Effect.provide(Layer.merge(world(), Telemetry.recording))))
})
