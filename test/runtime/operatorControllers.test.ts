/**
 * The operator's own controller declaration (`bin/controllers.ts`) in a manager, on the in-memory apiserver and
 * Quay: the TestClock never reaches the resync, so whatever is reconciled again was woken by a watch.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Controllers from "../../src/bin/controllers.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as Manager from "../../src/runtime/Manager.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { Environment, ImageRepository, RemoteSecret, ServiceAccount } from "../../src/services/ResourceKind.ts"
import { eventually, settle } from "./support.ts"

const world = Layer.mergeAll(InMemory.layer(), QuayInMemory.layer({ organization: "my-org" }))

const componentRepository = (name: string, component: string) => ({
  apiVersion: "appstudio.redhat.com/v1alpha1",
  kind: "ImageRepository",
  metadata: {
    namespace: "ns",
    name,
    labels: { "appstudio.redhat.com/component": component, "appstudio.redhat.com/application": "app" }
  }
})

const linked = (account: string) =>
  Effect.flatMap(Kubernetes, (k) => k.get(ServiceAccount, { namespace: "ns", name: account })).pipe(
    Effect.map(Option.match({ onNone: (): ReadonlyArray<string> => [], onSome: (sa) => (sa.secrets ?? []).map((r) => r.name) })),
    Effect.orDie
  )

const readyState = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.get(ImageRepository, { namespace: "ns", name })).pipe(
    Effect.map((ir) => Option.isSome(ir) && ir.value.status?.state === "ready"),
    Effect.orDie
  )

describe("the operator's ImageRepository controller", () => {
  it.scoped("links a push Secret as soon as its pipeline ServiceAccount appears: the ServiceAccount watch wakes it", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, componentRepository("c", "comp"))
      yield* Manager.run({ controllers: [Controllers.imageRepositories()] })
      yield* eventually(readyState("c"), 5000)
      // The events of its own writes are worked off: nothing is queued any more.
      yield* Effect.repeatN(settle, 40)

      yield* control.put(ServiceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { namespace: "ns", name: "appstudio-pipeline" } })
      yield* eventually(Effect.map(linked("appstudio-pipeline"), (secrets) => secrets.includes("c-image-push")), 5000)
      // A link someone removes comes back the same way.
      yield* control.patch(ServiceAccount, { namespace: "ns", name: "appstudio-pipeline" }, { secrets: [{ name: "other" }] })
      yield* eventually(Effect.map(linked("appstudio-pipeline"), (secrets) => secrets.includes("c-image-push")), 5000)
      assert.deepStrictEqual(yield* linked("appstudio-pipeline"), ["other", "c-image-push"])
    }).pipe(Effect.provide(world)))

  it.scoped("tells the mapping and the programs the same account template", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, componentRepository("c", "comp"))
      yield* Manager.run({
        controllers: [Controllers.imageRepositories({ programSettings: { pipelineServiceAccount: "build-pipeline-{component}" } })]
      })
      yield* eventually(readyState("c"), 5000)
      yield* Effect.repeatN(settle, 40)
      yield* control.put(ServiceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { namespace: "ns", name: "appstudio-pipeline" } })
      yield* control.put(ServiceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { namespace: "ns", name: "build-pipeline-comp" } })
      yield* eventually(Effect.map(linked("build-pipeline-comp"), (secrets) => secrets.includes("c-image-push")), 5000)
      assert.deepStrictEqual(yield* linked("appstudio-pipeline"), [])
    }).pipe(Effect.provide(world)))

  it.scoped("in RemoteSecret mode, a new Environment and a deleted RemoteSecret wake the object: the watches reach it", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, componentRepository("c", "comp"))
      yield* Manager.run({
        controllers: [Controllers.imageRepositories({
          programSettings: { pipelineServiceAccount: "appstudio-pipeline", credentialDelivery: "remote-secrets", remoteSecretsServed: true }
        })]
      })
      yield* eventually(readyState("c"), 5000)
      yield* Effect.repeatN(settle, 40)
      const targets = Effect.flatMap(Kubernetes, (k) => k.get(RemoteSecret, { namespace: "ns", name: "c-image-pull" })).pipe(
        Effect.map(Option.match({ onNone: (): ReadonlyArray<string> => [], onSome: (rs) => (rs.spec?.targets ?? []).map((t) => t.namespace) })),
        Effect.orDie
      )
      assert.deepStrictEqual(yield* targets, ["ns"])
      yield* control.put(Environment, {
        apiVersion: "appstudio.redhat.com/v1alpha1",
        kind: "Environment",
        metadata: { namespace: "ns", name: "staging" },
        spec: { tags: ["managed"], unstableConfigurationFields: { kubernetesCredentials: { targetNamespace: "staging-ns" } } }
      })
      yield* eventually(Effect.map(targets, (t) => t.includes("staging-ns")), 5000)
      yield* control.remove(RemoteSecret, { namespace: "ns", name: "c-image-push" })
      yield* eventually(
        Effect.flatMap(Kubernetes, (k) => k.get(RemoteSecret, { namespace: "ns", name: "c-image-push" })).pipe(
          Effect.map(Option.isSome),
          Effect.orDie
        ),
        5000
      )
    }).pipe(Effect.provide(world)))
})
