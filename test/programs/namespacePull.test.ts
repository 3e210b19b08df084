/**
 * The original controller's namespace pull robot, behind NAMESPACE_PULL_SECRET: off by default (the spec's model),
 * and with it on, the robot named from the namespace and kube-system's uid, its read grant on each repository,
 * `components-namespace-pull`, regenerate-namespace-pull-token, and the grant's removal with a kept repository.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import { defaultPipelineServiceAccount } from "../../src/domain/ServiceAccountLinks.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"
import {
  applyImageRepository,
  converge,
  deleteImageRepository,
  editImageRepository,
  getSecret,
  mustGetImageRepository,
  namespace,
  organization,
  quaySnapshot,
  world
} from "./World.ts"

const clusterUid = "5e0b6c1a-91d2-4f3e-8a7b-0c1d2e3f4a5b"
const namespaceRobot = `test_ns_${clusterUid.replaceAll("-", "_")}`
const on = { pipelineServiceAccount: defaultPipelineServiceAccount, namespacePullSecret: true }

const putKubeSystem = Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
  k.put(Kinds.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-system", uid: clusterUid } }))

/** Whether `components-namespace-pull` holds credentials Quay accepts for pulling `repository`. */
const namespaceSecretPulls = (repository: string) =>
  Effect.gen(function*() {
    const quay = yield* QuayInMemory.QuayControl
    const secret = yield* getSecret("components-namespace-pull")
    if (secret === undefined) return false
    const credentials = RobotSecret.credentialsIn(secret, `quay.io/${organization}/${namespace}`)
    if (Option.isNone(credentials)) return false
    return yield* quay.authorize(credentials.value.username, credentials.value.token, repository, "pull")
  })

const grantsOf = (repository: string) =>
  Effect.map(quaySnapshot, (s) => s.repositories.find((r) => `${r.namespace}/${r.name}` === `${organization}/${repository}`)?.permissions)

describe("the namespace pull robot", () => {
  it.effect("is off by default: no robot, no Secret, and the one-shot flag is left as it is", () =>
    Effect.gen(function*() {
      yield* putKubeSystem
      yield* applyImageRepository("plain", { credentials: { "regenerate-namespace-pull-token": true } })
      yield* converge("plain")
      const ir = yield* mustGetImageRepository("plain")
      expect(ir.status?.state).toBe("ready")
      expect(ir.spec?.credentials?.["regenerate-namespace-pull-token"]).toBe(true)
      expect((yield* quaySnapshot).robots.map((r) => r.shortName)).not.toContain(namespaceRobot)
      expect(yield* getSecret("components-namespace-pull")).toBeUndefined()
    }).pipe(Effect.provide(world())))

  it.effect("with NAMESPACE_PULL_SECRET, is granted read on each repository and its Secret pulls them all", () =>
    Effect.gen(function*() {
      yield* putKubeSystem
      yield* applyImageRepository("one")
      yield* applyImageRepository("two")
      yield* converge("one")
      yield* converge("two")
      expect((yield* mustGetImageRepository("one")).metadata.annotations?.[
        "image-controller.appstudio.redhat.com/namespace-pull-secret-ensured"
      ]).toBe("true")
      expect((yield* quaySnapshot).robots.filter((r) => r.shortName === namespaceRobot)).toHaveLength(1)
      expect((yield* grantsOf(`${namespace}/one`))?.[`${organization}+${namespaceRobot}`]).toBe("read")
      expect(yield* namespaceSecretPulls(`${namespace}/one`)).toBe(true)
      expect(yield* namespaceSecretPulls(`${namespace}/two`)).toBe(true)
      // Shared by the namespace: no owner, so no object's deletion takes it.
      expect((yield* getSecret("components-namespace-pull"))?.metadata.ownerReferences ?? []).toEqual([])
    }).pipe(Effect.provide(world("paid", on))))

  it.effect("regenerate-namespace-pull-token rotates its token, rewrites the Secret and is removed", () =>
    Effect.gen(function*() {
      yield* putKubeSystem
      yield* applyImageRepository("one")
      yield* converge("one")
      const quay = yield* QuayInMemory.QuayControl
      const before = Option.map(yield* quay.robotToken(namespaceRobot), Redacted.value)
      yield* editImageRepository("one", { spec: { credentials: { "regenerate-namespace-pull-token": true } } })
      yield* converge("one")
      const after = Option.map(yield* quay.robotToken(namespaceRobot), Redacted.value)
      expect(Option.isSome(before) && Option.isSome(after)).toBe(true)
      expect(Option.getOrUndefined(after)).not.toBe(Option.getOrUndefined(before))
      expect(yield* namespaceSecretPulls(`${namespace}/one`)).toBe(true)
      expect((yield* mustGetImageRepository("one")).spec?.credentials?.["regenerate-namespace-pull-token"]).toBeUndefined()
    }).pipe(Effect.provide(world("paid", on))))

  it.effect("its grant goes with an object whose repository is kept; the robot and its Secret stay for the others", () =>
    Effect.gen(function*() {
      yield* putKubeSystem
      yield* applyImageRepository("kept", undefined, {
        annotations: { "image-controller.appstudio.redhat.com/skip-repository-deletion": "true" }
      })
      yield* applyImageRepository("other")
      yield* converge("kept")
      yield* converge("other")
      expect((yield* grantsOf(`${namespace}/kept`))?.[`${organization}+${namespaceRobot}`]).toBe("read")
      yield* deleteImageRepository("kept")
      yield* converge("kept")
      const grants = yield* grantsOf(`${namespace}/kept`)
      expect(grants).toBeDefined()
      expect(grants?.[`${organization}+${namespaceRobot}`]).toBeUndefined()
      expect((yield* quaySnapshot).robots.map((r) => r.shortName)).toContain(namespaceRobot)
      expect(yield* namespaceSecretPulls(`${namespace}/other`)).toBe(true)
    }).pipe(Effect.provide(world("paid", on))))
})
