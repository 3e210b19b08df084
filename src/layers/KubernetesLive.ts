/**
 * The `Kubernetes` service against a real apiserver: raw REST calls (JSON in and out, merge patches with
 * `application/merge-patch+json`) authenticated as kubectl would: in-cluster and static JSON kubeconfigs are read
 * here, every other form through @kubernetes/client-node's KubeConfig (exec plugins, auth providers, YAML), loaded
 * only then.
 */
import { Config, type ConfigError, Duration, Effect, Layer, Option, type Scope, Stream } from "effect"
import type { ObjectMeta, ObjectRef } from "../domain/ObjectMeta.ts"
import type { DeleteOptions, ListOptions, ListResult, PatchOptions, WatchEvent, WatchOptions } from "../services/Kubernetes.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { KubernetesError } from "../services/KubernetesError.ts"
import type { ResourceKind } from "../services/ResourceKind.ts"
import { subjectOf, type Target } from "./kubernetesLive/apiErrors.ts"
import { decodeListPage, decodeObject, decodeOrSkip, encodeObject } from "./kubernetesLive/codec.ts"
import type { KubeConfigError } from "./kubernetesLive/KubeConfigError.ts"
import { type KubeConfigSource, loadKubeConfig } from "./kubernetesLive/kubeConfig.ts"
import { collectionPath, discoveryPath, objectPath } from "./kubernetesLive/paths.ts"
import { makeTransport } from "./kubernetesLive/transport.ts"
import { openWatch } from "./kubernetesLive/watch.ts"

export { KubeConfigError } from "./kubernetesLive/KubeConfigError.ts"
export type { KubeConfigSource } from "./kubernetesLive/kubeConfig.ts"

export interface KubernetesLiveOptions {
  /**
   * A loaded KubeConfig, or the path of a kubeconfig file (several joined by the path delimiter, as in
   * KUBECONFIG); absent: ~/.kube/config if it exists, else the pod's service account.
   */
  readonly kubeconfig?: KubeConfigSource
  /** Limit for one non-watch request (default 30 seconds); beyond it the call fails with KubernetesUnavailable. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** The apiserver ends each watch after this many seconds (default 300); the caller resumes from the last version. */
  readonly watchTimeoutSeconds?: number | undefined
  /** Page size of list calls (default 500). */
  readonly pageSize?: number | undefined
}

/** The environment's kubeconfig, as kubectl finds it: KUBECONFIG, else ~/.kube/config, else in-cluster. */
export const configFromEnvironment: Config.Config.Wrap<KubernetesLiveOptions> = {
  kubeconfig: Config.option(Config.string("KUBECONFIG")).pipe(Config.map(Option.getOrUndefined))
}

type Object = { readonly metadata: ObjectMeta }
type Kind<A extends Object, I> = ResourceKind<A, I>

const mergePatchContentType = "application/merge-patch+json"

/**
 * A span per call. No stack trace is captured for it: Effect would take one (a `new Error()`) on every call, and
 * the span's name and attributes already say which call it was.
 */
const span = (name: string, kind: { readonly kind: string }, target: Target) =>
  Effect.withSpan(`Kubernetes.${name}`, {
    kind: "client",
    captureStackTrace: false,
    attributes: {
      "k8s.kind": kind.kind,
      ...(target.namespace === undefined ? {} : { "k8s.namespace": target.namespace }),
      ...(target.name === undefined ? {} : { "k8s.name": target.name })
    }
  })

/** Builds the service; the connection pool lives as long as the scope. */
export const make = (options: KubernetesLiveOptions = {}): Effect.Effect<Kubernetes, KubeConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const access = yield* loadKubeConfig(options.kubeconfig)
    const transport = yield* makeTransport(access, Duration.decode(options.requestTimeout ?? "30 seconds"))
    const { send } = transport
    const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300
    const pageSize = options.pageSize ?? 500

    const get = <A extends Object, I>(kind: Kind<A, I>, ref: ObjectRef): Effect.Effect<Option.Option<A>, KubernetesError> =>
      send({ method: "GET", path: objectPath(kind, ref.namespace, ref.name), subject: subjectOf(kind, ref) }).pipe(
        Effect.flatMap((raw) => decodeObject(kind, raw)),
        Effect.map(Option.some),
        Effect.catchTag("KubernetesNotFound", () => Effect.succeed(Option.none<A>())),
        span("get", kind, ref)
      )

    const list = <A extends Object, I>(kind: Kind<A, I>, opts: ListOptions = {}): Effect.Effect<ListResult<A>, KubernetesError> =>
      Effect.gen(function*() {
        const items: Array<A> = []
        let resourceVersion = ""
        let continueToken: string | undefined = undefined
        // Every page is served from the same snapshot, so the last page's resourceVersion is the list's.
        do {
          const raw: unknown = yield* send({
            method: "GET",
            path: collectionPath(kind, opts.namespace),
            query: { labelSelector: opts.labelSelector, limit: String(pageSize), continue: continueToken },
            subject: subjectOf(kind, { namespace: opts.namespace })
          })
          const page = yield* decodeListPage(kind, raw)
          for (const item of page.items ?? []) {
            const decoded = yield* decodeOrSkip(kind, item)
            if (Option.isSome(decoded)) items.push(decoded.value)
          }
          resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
          continueToken = page.metadata?.continue === "" ? undefined : page.metadata?.continue
        } while (continueToken !== undefined)
        return { items, resourceVersion }
      }).pipe(span("list", kind, { namespace: opts.namespace }))

    /** POST or PUT of a whole object. */
    const write = <A extends Object, I>(
      kind: Kind<A, I>,
      object: A,
      method: "POST" | "PUT",
      path: string
    ): Effect.Effect<A, KubernetesError> =>
      Effect.gen(function*() {
        const body = yield* encodeObject(kind, object)
        const raw = yield* send({
          method,
          path,
          body: { contentType: "application/json", value: body },
          subject: subjectOf(kind, object.metadata)
        })
        return yield* decodeObject(kind, raw)
      })

    const create = <A extends Object, I>(kind: Kind<A, I>, object: A): Effect.Effect<A, KubernetesError> =>
      write(kind, object, "POST", collectionPath(kind, object.metadata.namespace)).pipe(
        span("create", kind, object.metadata)
      )

    const replace = <A extends Object, I>(
      kind: Kind<A, I>,
      object: A,
      opts: PatchOptions = {}
    ): Effect.Effect<A, KubernetesError> =>
      write(kind, object, "PUT", objectPath(kind, object.metadata.namespace, object.metadata.name, opts.subresource)).pipe(
        span(opts.subresource === "status" ? "replaceStatus" : "replace", kind, object.metadata)
      )

    const patch = <A extends Object, I>(
      kind: Kind<A, I>,
      ref: ObjectRef,
      body: unknown,
      opts: PatchOptions = {}
    ): Effect.Effect<A, KubernetesError> =>
      send({
        method: "PATCH",
        path: objectPath(kind, ref.namespace, ref.name, opts.subresource),
        body: { contentType: mergePatchContentType, value: body },
        subject: subjectOf(kind, ref)
      }).pipe(
        Effect.flatMap((raw) => decodeObject(kind, raw)),
        span(opts.subresource === "status" ? "patchStatus" : "patch", kind, ref)
      )

    const del = <A extends Object, I>(
      kind: Kind<A, I>,
      ref: ObjectRef,
      opts: DeleteOptions = {}
    ): Effect.Effect<void, KubernetesError> =>
      send({
        method: "DELETE",
        path: objectPath(kind, ref.namespace, ref.name),
        body: {
          contentType: "application/json",
          value: {
            apiVersion: "v1",
            kind: "DeleteOptions",
            ...(opts.preconditions === undefined ? {} : { preconditions: opts.preconditions })
          }
        },
        subject: subjectOf(kind, ref)
      }).pipe(Effect.asVoid, span("delete", kind, ref))

    const watch = <A extends Object, I>(kind: Kind<A, I>, opts: WatchOptions = {}): Stream.Stream<WatchEvent<A>, KubernetesError> =>
      Stream.unwrap(
        openWatch(transport, watchTimeoutSeconds, kind, opts).pipe(span("watch", kind, { namespace: opts.namespace }))
      )

    const serves = (kind: { readonly group: string; readonly version: string; readonly plural: string }) =>
      send({
        method: "GET",
        path: discoveryPath(kind),
        subject: { kind: "APIResourceList", name: `${kind.group}/${kind.version}` }
      }).pipe(
        Effect.map((raw) => {
          const resources = (raw as { readonly resources?: ReadonlyArray<{ readonly name?: unknown }> }).resources ?? []
          return resources.some((resource) => resource.name === kind.plural)
        }),
        Effect.catchTag("KubernetesNotFound", () => Effect.succeed(false)),
        Effect.withSpan("Kubernetes.serves", {
          kind: "client",
          attributes: { "k8s.group": kind.group, "k8s.version": kind.version, "k8s.resource": kind.plural }
        })
      )

    return Kubernetes.of({ get, list, create, replace, patch, delete: del, watch, serves })
  })

export const layer = (options: KubernetesLiveOptions = {}): Layer.Layer<Kubernetes, KubeConfigError> =>
  Layer.scoped(Kubernetes, make(options))

/** The layer with its options read from `Config`s, e.g. `layerConfig(configFromEnvironment)`. */
export const layerConfig = (
  config: Config.Config.Wrap<KubernetesLiveOptions>
): Layer.Layer<Kubernetes, KubeConfigError | ConfigError.ConfigError> =>
  Layer.scoped(Kubernetes, Effect.flatMap(Config.unwrap(config), make))
