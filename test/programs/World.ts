import { Effect, Layer, Option, Redacted, Schema } from "effect"
import type { PatchOptions } from "../../src/services/Kubernetes.ts"
import { type KubernetesError, KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import type { ObjectRef } from "../../src/domain/ObjectMeta.ts"
import * as RobotSecret from "../../src/domain/RobotSecret.ts"
import type { RobotRole } from "../../src/domain/RobotName.ts"
import { ServiceAccount } from "../../src/domain/ServiceAccount.ts"
import * as KubernetesInMemory from "../../src/layers/KubernetesInMemory.ts"
import * as QuayInMemory from "../../src/layers/QuayInMemory.ts"
import { reconcileImageRepository } from "../../src/programs/reconcileImageRepository.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import * as ProgramSettings from "../../src/services/ProgramSettings.ts"
import type { ProgramSettingsOptions } from "../../src/services/ProgramSettings.ts"
import * as Kinds from "../../src/services/ResourceKind.ts"

/** An in-memory world for the programs: one Quay organization and one apiserver, both observable and breakable. */
export const organization = "my-org"
export const namespace = "test-ns"

/** The world, with the programs' settings when a test needs other than the spec's defaults. */
export const world = (plan: "free" | "paid" = "paid", settings?: ProgramSettingsOptions) =>
  Layer.mergeAll(
    QuayInMemory.layer({ organization, plan }),
    KubernetesInMemory.layer(),
    settings === undefined ? Layer.empty : ProgramSettings.layer(settings).pipe(Layer.orDie)
  )

/** The labels that make an ImageRepository a component repository, as metadata for `applyImageRepository`. */
export const componentLabels = (component = "comp", application = "app") => ({
  labels: { "appstudio.redhat.com/component": component, "appstudio.redhat.com/application": application }
})

/** The pipeline ServiceAccount of the default settings. */
export const pipelineAccount = "appstudio-pipeline"

/** A ServiceAccount as a user (or another controller) writes it. */
export const putServiceAccount = (
  name: string,
  secrets: ReadonlyArray<string> = [],
  imagePullSecrets: ReadonlyArray<string> = []
) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.put(Kinds.ServiceAccount, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace },
      secrets: secrets.map((secret) => ({ name: secret })),
      imagePullSecrets: imagePullSecrets.map((secret) => ({ name: secret }))
    })
  )

/** The Secret names a ServiceAccount lists, in order; undefined when it does not exist. Read past injected faults. */
export const linksOf = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.getRaw(Kinds.ServiceAccount, ref(name))).pipe(
    Effect.map(Option.flatMap(Schema.decodeUnknownOption(ServiceAccount))),
    Effect.map(Option.map((sa) => ({
      secrets: (sa.secrets ?? []).map((r) => r.name),
      imagePullSecrets: (sa.imagePullSecrets ?? []).map((r) => r.name)
    }))),
    Effect.map(Option.getOrUndefined)
  )

export const ref = (name: string): ObjectRef => ({ namespace, name })

/** What a user's `kubectl apply` of an ImageRepository does. */
export const applyImageRepository = (name: string, spec?: Record<string, unknown>, extra?: Record<string, unknown>) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.put(Kinds.ImageRepository, {
      apiVersion: "appstudio.redhat.com/v1alpha1",
      kind: "ImageRepository",
      metadata: { name, namespace, ...extra },
      ...(spec === undefined ? {} : { spec })
    })
  )

/** A user's merge patch of the object (main resource). */
export const editImageRepository = (name: string, patch: unknown) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.patch(Kinds.ImageRepository, ref(name), patch))

/**
 * An object whose status records `url` in the given state, as the original controller left objects that shared a
 * repository: no finalizer, never reconciled by the test that puts it.
 */
export const putRecordingObject = (name: string, url: string | undefined, state: "ready" | "failed" = "ready") =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) =>
    k.put(Kinds.ImageRepository, {
      apiVersion: "appstudio.redhat.com/v1alpha1",
      kind: "ImageRepository",
      metadata: { name, namespace },
      status: { state, image: { url, visibility: "public" } }
    }))

export const deleteImageRepository = (name: string) =>
  Effect.flatMap(KubernetesInMemory.KubernetesControl, (k) => k.delete(Kinds.ImageRepository, ref(name)))

export const getImageRepository = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.get(Kinds.ImageRepository, ref(name))).pipe(Effect.map(Option.getOrUndefined))

export const mustGetImageRepository = (name: string) =>
  Effect.flatMap(getImageRepository(name), (ir) =>
    ir === undefined ? Effect.dieMessage(`ImageRepository ${name} is gone`) : Effect.succeed(ir)
  )

export const getSecret = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.get(Kinds.Secret, ref(name))).pipe(Effect.map(Option.getOrUndefined))

/** Quay calls plus apiserver writes so far: what "a converged object costs nothing" is measured in. */
export const cost = Effect.gen(function*() {
  const quay = yield* QuayInMemory.QuayControl
  const kube = yield* KubernetesInMemory.KubernetesControl
  const q = yield* quay.calls
  const k = yield* kube.calls
  return { quayCalls: q.total, writes: k.writes }
})

/**
 * Reconciles until a pass succeeds having made no Quay call and no write, as the controller would over the
 * events its own writes cause. Transient failures are retried (the work queue's job). Dies if it never settles.
 */
export const converge = (name: string, maxPasses = 30) => convergeAt(ref(name), maxPasses)

/** `converge` for an object in any namespace. */
export const convergeAt = (at: ObjectRef, maxPasses = 30) =>
  Effect.gen(function*() {
    const name = `${at.namespace}/${at.name}`
    for (let pass = 1; pass <= maxPasses; pass++) {
      const before = yield* cost
      const ok = yield* reconcileImageRepository(at).pipe(
        Effect.as(true),
        Effect.catchTag("Transient", () => Effect.succeed(false))
      )
      const after = yield* cost
      if (ok && after.quayCalls === before.quayCalls && after.writes === before.writes) return pass
    }
    return yield* Effect.dieMessage(`${name} did not converge in ${maxPasses} passes`)
  })

/** Whether the object's push (or pull) Secret holds credentials that Quay accepts for `access` to `repository`. */
export const secretGrants = (
  ir: ImageRepository,
  repository: string,
  access: "push" | "pull" = "push",
  role: RobotRole = "push"
) =>
  Effect.gen(function*() {
    const quay = yield* QuayInMemory.QuayControl
    const secret = yield* getSecret(ir.status?.credentials?.[`${role}-secret`] ?? "")
    if (secret === undefined) return false
    const credentials = RobotSecret.credentialsIn(secret, ir.status?.image?.url ?? "")
    if (Option.isNone(credentials)) return false
    return yield* quay.authorize(credentials.value.username, credentials.value.token, repository, access)
  })

export const secretToken = (name: string) =>
  Effect.map(getSecret(name), (secret) =>
    secret === undefined
      ? undefined
      : Option.getOrUndefined(
          Option.map(
            RobotSecret.credentialsIn(secret, `quay.io/${organization}/${namespace}/${name.replace(/-image-push$/, "")}`),
            (c) => Redacted.value(c.token)
          )
        )
  )

export const quaySnapshot = Effect.flatMap(QuayInMemory.QuayControl, (q) => q.snapshot)

/** How many times each Event about an object was seen: its series count (1 when it has none). */
export const eventCountsAbout = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.list(Kinds.Event, { namespace })).pipe(
    Effect.map((list) => list.items.filter((e) => e.regarding.name === name).map((e) => [e.reason, e.series?.count ?? 1] as const))
  )

/** The Events recorded about an object: what `kubectl describe` would list. */
export const eventsAbout = (name: string) =>
  Effect.flatMap(Kubernetes, (k) => k.list(Kinds.Event, { namespace })).pipe(
    Effect.map((list) => list.items.filter((e) => e.regarding.name === name)),
    Effect.map((events) => events.map((e) => ({ type: e.type, reason: e.reason, message: e.note ?? "" })))
  )

/** Which writes `reconcileThrough` intercepts: the first patch for which this holds. */
export type PatchMatch = (
  kind: { readonly kind: string },
  patch: unknown,
  options: PatchOptions | undefined
) => boolean

export const statusWrite: PatchMatch = (_kind, _patch, options) => options?.subresource === "status"

/** A spec (or metadata) write of an ImageRepository; `containing` narrows it to patches with that text. */
export const specWrite = (containing = ""): PatchMatch => (kind, patch, options) =>
  kind.kind === "ImageRepository" && options?.subresource === undefined && JSON.stringify(patch).includes(containing)

export const unavailable: Effect.Effect<never, KubernetesError> = Effect.fail(
  new KubernetesUnavailable({ status: 503, detail: "injected" })
)

/**
 * One reconcile in which `meanwhile` runs just before the first patch that `which` matches: a failure there
 * fails that write (an apiserver hiccup); anything else is someone's edit racing it, after which the write goes on.
 */
export const reconcileThrough = (
  name: string,
  which: PatchMatch,
  meanwhile: Effect.Effect<unknown, KubernetesError, KubernetesInMemory.KubernetesControl>
) =>
  Effect.gen(function*() {
    const kubernetes = yield* Kubernetes
    const control = yield* KubernetesInMemory.KubernetesControl
    let done = false
    const intercepted: Kubernetes = {
      ...kubernetes,
      patch: (kind, target, patch, options) =>
        !done && which(kind, patch, options)
          ? Effect.suspend(() => {
            done = true
            return Effect.provideService(meanwhile, KubernetesInMemory.KubernetesControl, control)
          }).pipe(Effect.andThen(kubernetes.patch(kind, target, patch, options)))
          : kubernetes.patch(kind, target, patch, options)
    }
    return yield* reconcileImageRepository(ref(name)).pipe(Effect.provideService(Kubernetes, intercepted), Effect.either)
  })
