/**
 * Scenario 6: the reconcile programs alone, on the in-memory apiserver and Quay layers (no controller runtime, no
 * network): full provisions per second (create → ready, however many passes that takes), then converged no-op
 * reconciles per second (every ready object reconciled again, which must touch nothing).
 */
import { Effect, Layer, Option } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import * as Figure from "../Figure.ts"
import { type Scenario, scaled } from "../Scenario.ts"

const namespace = "bench"

/** Whether the stored object is ready, read raw: the bench's own check costs no decode, span or counted call. */
const isReady = (control: KubernetesInMemory.KubernetesControl, name: string) =>
  Effect.map(control.getRaw(Kinds.ImageRepository, { namespace, name }), (raw) => {
    const status = Option.getOrUndefined(raw)?.["status"]
    return typeof status === "object" && status !== null && (status as { readonly state?: unknown }).state === "ready"
  })

/** Reconciles until the object is ready; the passes it took. */
const provisionOne = (control: KubernetesInMemory.KubernetesControl, name: string) =>
  Effect.gen(function*() {
    for (let pass = 1; pass <= 10; pass++) {
      yield* reconcileImageRepository({ namespace, name })
      if (yield* isReady(control, name)) return pass
    }
    return yield* Effect.dieMessage(`${name} was not ready after 10 passes`)
  })

const perSecond = (count: number, started: number) => count / ((performance.now() - started) / 1000)

/** This process's CPU seconds so far: on a shared machine the wall clock also measures the neighbours. */
const cpuNow = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

export const programs: Scenario = {
  name: "programs",
  title: "the reconcile programs alone on in-memory layers",
  run: (context) =>
    Effect.gen(function*() {
      const objects = scaled(context, 2_000)
      const noopRounds = 5
      const names = Array.from({ length: objects }, (_, i) => `repo-${i}`)
      const control = yield* KubernetesInMemory.KubernetesControl
      const quay = yield* QuayInMemory.QuayControl
      yield* Effect.forEach(names, (name) =>
        control.put(Kinds.ImageRepository, {
          apiVersion: "appstudio.redhat.com/v1alpha1",
          kind: "ImageRepository",
          metadata: { name, namespace }
        }), { discard: true })

      let started = performance.now()
      let cpu = cpuNow()
      const passes = yield* Effect.forEach(names, (name) => provisionOne(control, name))
      const provisions = perSecond(objects, started)
      const provisionsPerCpu = objects / (cpuNow() - cpu)

      const before = { quay: (yield* quay.calls).total, writes: (yield* control.calls).writes }
      started = performance.now()
      cpu = cpuNow()
      for (let round = 0; round < noopRounds; round++) {
        yield* Effect.forEach(names, (name) => reconcileImageRepository({ namespace, name }), { discard: true })
      }
      const noops = perSecond(objects * noopRounds, started)
      const noopsPerCpu = (objects * noopRounds) / (cpuNow() - cpu)
      const after = { quay: (yield* quay.calls).total, writes: (yield* control.calls).writes }

      return {
        settings: { objects, noopRounds, layers: "in-memory", controller: "this operator's programs" },
        figures: [
          Figure.make({ label: "full provisions/s", value: provisions, unit: "objects/s", target: Figure.atLeast(2_000) }),
          Figure.make({ label: "converged no-op reconciles/s", value: noops, unit: "reconciles/s", target: Figure.atLeast(20_000) }),
          Figure.make({ label: "full provisions per CPU second", value: provisionsPerCpu, unit: "objects/CPU s" }),
          Figure.make({ label: "no-op reconciles per CPU second", value: noopsPerCpu, unit: "reconciles/CPU s" }),
          Figure.make({
            label: "Quay requests + writes in the no-op rounds",
            value: after.quay - before.quay + after.writes - before.writes,
            unit: "calls",
            target: Figure.atMost(0)
          })
        ],
        notes: [
          `a provision took ${Math.max(...passes)} reconcile pass(es) at most; the original controller has no ` +
          "equivalent in-memory layer, so this scenario has no side-by-side column"
        ]
      }
    }).pipe(
      Effect.provide(Layer.mergeAll(
        QuayInMemory.layer({ organization: "bench-org", plan: "paid" }),
        KubernetesInMemory.layer()
      )),
      Effect.orDie
    )
}
