/** Fixtures of the Kubernetes contract suite (test/kubernetes/contract.ts): kinds, objects, polling and watch helpers. */
import type { Vitest } from "@effect/vitest"
import { Chunk, Data, Duration, Effect, Exit, type Layer, Option, Schedule, Schema, type Scope, Stream } from "effect"
import * as ImageRepositoryDomain from "../../../src/domain/ImageRepository.ts"
import { type ObjectMeta, ObjectMeta as ObjectMetaSchema } from "../../../src/domain/ObjectMeta.ts"
import type { Secret as SecretType } from "../../../src/domain/Secret.ts"
import { ServiceAccount as ServiceAccountSchema } from "../../../src/domain/ServiceAccount.ts"
import { Kubernetes, type WatchEvent } from "../../../src/services/Kubernetes.ts"
import type { KubernetesError } from "../../../src/services/KubernetesError.ts"
import { ImageRepository, resourceKind, ServiceAccount } from "../../../src/services/ResourceKind.ts"

/** A kind no cluster serves: the in-memory layer is told so (`unserved`), a real apiserver has no CRD for it. */
export const UnservedKind = resourceKind({
  group: "contract.example.com",
  version: "v1",
  kind: "Widget",
  plural: "widgets",
  statusSubresource: false,
  schema: Schema.Struct({ metadata: ObjectMetaSchema })
})

/** A resource no CRD defines in a group/version that is served (the ImageRepository's). */
export const UnservedInServedGroup = resourceKind({ ...UnservedKind, group: ImageRepository.group, version: ImageRepository.version })

export interface ContractEnv {
  /** Provides the `Kubernetes` under test; built once for the whole suite. */
  readonly layer: Layer.Layer<Kubernetes, unknown>
  /** A namespace no other test uses, created if the backend needs namespaces to exist. */
  readonly freshNamespace: Effect.Effect<string, unknown, Kubernetes | Scope.Scope>
  /** How long asynchronous effects (garbage collection) may take. Default 30 seconds. */
  readonly eventually?: Duration.DurationInput
}

export type Labelled = Record<string, string>

/** How long a watch may take to deliver an event that is already committed. */
export const watchTimeout = Duration.seconds(10)

/**
 * A ServiceAccount as a client that models more of it than the programs do: writing
 * `automountServiceAccountToken` through it shows whether the programs' narrower writes keep the field.
 */
export const WideServiceAccount = resourceKind({
  ...ServiceAccount,
  schema: Schema.Struct({
    ...ServiceAccountSchema.fields,
    automountServiceAccountToken: Schema.optional(Schema.Boolean)
  })
})

/** The ImageRepository as the CRD defines it: status.credentials also carries pull credentials the domain does not model. */
export const WideImageRepository = resourceKind({
  ...ImageRepository,
  schema: Schema.Struct({
    ...ImageRepositoryDomain.ImageRepository.fields,
    status: Schema.optional(
      Schema.Struct({
        ...ImageRepositoryDomain.ImageRepositoryStatus.fields,
        credentials: Schema.optional(
          Schema.Struct({
            ...ImageRepositoryDomain.CredentialsStatus.fields,
            "pull-secret": Schema.optional(Schema.String)
          })
        )
      })
    )
  })
})

export const imageRepository = (
  namespace: string,
  name: string,
  extra: Partial<ObjectMeta> = {}
): ImageRepositoryDomain.ImageRepository => ({
  apiVersion: ImageRepositoryDomain.apiVersion,
  kind: ImageRepositoryDomain.kind,
  metadata: { name, namespace, ...extra },
  spec: { image: { visibility: "public" } }
})

export const secret = (namespace: string, name: string, extra: Partial<ObjectMeta> = {}): SecretType => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace, ...extra },
  type: "Opaque",
  data: { token: "c2VjcmV0" }
})

export const rfc3339Seconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

export const errorTagOf = <A>(exit: Exit.Exit<A, KubernetesError>): string =>
  Exit.isSuccess(exit)
    ? "success"
    : Option.match(Exit.causeOption(exit).pipe(Option.flatMap((cause) => Option.fromNullable(cause))), {
      onNone: () => "interrupted",
      onSome: (cause) => (cause._tag === "Fail" ? cause.error._tag : `cause ${cause._tag}`)
    })

export const namesOf = <A extends { readonly metadata: ObjectMeta }>(items: ReadonlyArray<A>): ReadonlyArray<string> =>
  items.map((o) => o.metadata.name).sort()

export const summary = <A extends { readonly metadata: ObjectMeta }>(events: Chunk.Chunk<WatchEvent<A>>) =>
  Chunk.toReadonlyArray(events).map((e) => (e.type === "BOOKMARK" ? "BOOKMARK" : `${e.type} ${e.object.metadata.name}`))

export class NotYet extends Data.TaggedError("NotYet")<{ readonly detail: string }> {}

/** Retries `check` (which fails with NotYet until the condition holds) every 200 ms, for at most `within`. */
export const eventually = <A, E, R>(within: Duration.DurationInput, check: Effect.Effect<A, E | NotYet, R>) =>
  check.pipe(
    Effect.retry({
      while: (e) => e instanceof NotYet,
      schedule: Schedule.spaced("200 millis").pipe(Schedule.upTo(within))
    })
  )

/** Collects `n` events from a watch, or fails if they do not come within the watch timeout. */
export const takeEvents = <A extends { readonly metadata: ObjectMeta }>(
  stream: Stream.Stream<WatchEvent<A>, KubernetesError>,
  n: number
) =>
  stream.pipe(
    Stream.filter((e) => e.type !== "BOOKMARK"),
    Stream.take(n),
    Stream.runCollect,
    Effect.timeoutFail({ duration: watchTimeout, onTimeout: () => new NotYet({ detail: `fewer than ${n} watch events` }) })
  )

/** Registers the contract suite for one backend. */

/** The `it` of the suite's layer: every contract module registers its tests on it. */
export type ContractIt = Vitest.MethodsNonLive<Kubernetes, true>

/** What the suite derives from a backend's `ContractEnv` for its tests. */
export interface ContractContext {
  /** A namespace of the test's own. */
  readonly fresh: Effect.Effect<string, never, Kubernetes | Scope.Scope>
  /** How long asynchronous effects (garbage collection) may take. */
  readonly within: Duration.DurationInput
  /** The time limit of a test that waits for an asynchronous effect. */
  readonly testTimeout: number
}
