/**
 * The same programs serve both API groups: a konflux-ci.dev object gets `-img-push`/`-img-pull` Secrets owned in its
 * own group, and same-named objects of the two groups in one namespace never share anything.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import { applyImageRepository, componentLabels, converge, getSecret, mustGetImageRepository, namespace, quaySnapshot, ref, world } from "./World.ts"

const applyKonflux = (name: string, extra?: Record<string, unknown>, spec?: Record<string, unknown>) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.put(Kinds.KonfluxImageRepository, {
      apiVersion: "konflux-ci.dev/v1alpha1",
      kind: "ImageRepository",
      metadata: { name, namespace, ...extra },
      ...(spec === undefined ? {} : { spec })
    }))

const getKonflux = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.get(Kinds.KonfluxImageRepository, ref(name))).pipe(Effect.map(Option.getOrUndefined))

const convergeKonflux = (name: string) =>
  Effect.gen(function*() {
    for (let pass = 0; pass < 20; pass++) {
      yield* reconcileImageRepository(ref(name), Kinds.KonfluxImageRepository).pipe(Effect.catchTag("Transient", () => Effect.void))
    }
  })

describe("a konflux-ci.dev ImageRepository", () => {
  it.effect("is provisioned by the same programs, with -img- Secrets owned in its own group", () =>
    Effect.gen(function*() {
      yield* applyKonflux("sample", componentLabels())
      yield* convergeKonflux("sample")
      const ir = yield* getKonflux("sample")
      expect(ir?.status?.state).toBe("ready")
      expect(ir?.status?.credentials?.["push-secret"]).toBe("sample-img-push")
      expect(ir?.status?.credentials?.["pull-secret"]).toBe("sample-img-pull")
      for (const name of ["sample-img-push", "sample-img-pull"]) {
        const owners = (yield* getSecret(name))?.metadata.ownerReferences ?? []
        expect(owners.map((o) => [o.apiVersion, o.kind, o.uid])).toEqual([["konflux-ci.dev/v1alpha1", "ImageRepository", ir?.metadata.uid]])
      }
    }).pipe(Effect.provide(world())))

  it.effect("next to a same-named appstudio.redhat.com object, each has its own Secrets and robots, and deleting one leaves the other's", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("twin", { image: { name: "twin-old" } })
      yield* applyKonflux("twin", undefined, { image: { name: "twin-new" } })
      yield* converge("twin")
      yield* convergeKonflux("twin")
      expect((yield* mustGetImageRepository("twin")).status?.credentials?.["push-secret"]).toBe("twin-image-push")
      expect((yield* getKonflux("twin"))?.status?.credentials?.["push-secret"]).toBe("twin-img-push")
      expect((yield* quaySnapshot).robots).toHaveLength(2)

      yield* Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.delete(Kinds.KonfluxImageRepository, ref("twin")))
      yield* convergeKonflux("twin")
      expect(yield* getKonflux("twin")).toBeUndefined()
      const left = yield* quaySnapshot
      expect(left.repositories.map((r) => r.name)).toEqual([`${namespace}/twin-old`])
      expect(left.robots).toHaveLength(1)
      expect((yield* mustGetImageRepository("twin")).status?.state).toBe("ready")
    }).pipe(Effect.provide(world())))

  it.effect("sharing a repository with an appstudio.redhat.com object: deleting it keeps the repository", () =>
    Effect.gen(function*() {
      yield* applyImageRepository("first", { image: { name: "shared" } })
      yield* converge("first")
      const first = yield* mustGetImageRepository("first")
      // As the original let objects of both groups record one repository: this one's status names it.
      yield* Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
        k.put(Kinds.KonfluxImageRepository, {
          apiVersion: "konflux-ci.dev/v1alpha1",
          kind: "ImageRepository",
          metadata: { name: "second", namespace },
          status: { state: "ready", image: { url: first.status?.image?.url, visibility: "public" } }
        }))
      yield* Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.delete(Kinds.ImageRepository, ref("first")))
      yield* converge("first")
      expect((yield* quaySnapshot).repositories.map((r) => r.name)).toEqual([`${namespace}/shared`])
    }).pipe(Effect.provide(world())))
})
