/**
 * The `Kubernetes` service against a real apiserver: raw REST calls (JSON in and out, merge patches with
 * `application/merge-patch+json`) authenticated through @kubernetes/client-node's KubeConfig, so every
 * kubeconfig form it understands (token, client cert, exec plugin, in-cluster) works.
 */
import type * as Https from "node:https"
import { HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import type { HttpClientError } from "@effect/platform/HttpClientError"
import { NodeHttpClient } from "@effect/platform-node"
import { KubeConfig } from "@kubernetes/client-node"
import { Duration, Effect, Layer, Option, Schema, type Scope, Stream } from "effect"
import type { ObjectMeta, ObjectRef } from "../domain/ObjectMeta.ts"
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  PatchOptions,
  WatchEvent,
  WatchOptions
} from "../services/Kubernetes.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { KubernetesError } from "../services/KubernetesError.ts"
import { KubernetesGone, KubernetesInvalid, KubernetesUnavailable } from "../services/KubernetesError.ts"
import { apiVersionOf, type ResourceKind } from "../services/ResourceKind.ts"
import { fromStatus, statusMessage, type Subject } from "./kubernetesLive/apiErrors.ts"
import { KubeConfigError } from "./kubernetesLive/KubeConfigError.ts"
import { collectionPath, objectPath } from "./kubernetesLive/paths.ts"
import { parseFailurePaths } from "./parseFailurePaths.ts"

export { KubeConfigError } from "./kubernetesLive/KubeConfigError.ts"

export interface KubernetesLiveOptions {
  /** Limit for one non-watch request (default 30 seconds); beyond it the call fails with KubernetesUnavailable. */
  readonly requestTimeout?: Duration.DurationInput
  /** The apiserver ends each watch after this many seconds (default 300); the caller resumes from the last version. */
  readonly watchTimeoutSeconds?: number
  /** Page size of list calls (default 500). */
  readonly pageSize?: number
}

type Object = { readonly metadata: ObjectMeta }
type Kind<A extends Object, I> = ResourceKind<A, I>

interface Call {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  readonly path: string
  readonly query?: Record<string, string | undefined>
  readonly body?: { readonly contentType: string; readonly value: unknown }
  readonly subject: Subject
}

const mergePatchContentType = "application/merge-patch+json"

/** The TLS material of the kubeconfig's current cluster and user, for the connection pool. */
const tlsOptions = (kc: KubeConfig): Effect.Effect<Https.AgentOptions, KubeConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const opts: Https.RequestOptions = {}
      await kc.applyToHTTPSOptions(opts)
      const agent: Https.AgentOptions = { keepAlive: true }
      if (opts.ca !== undefined) agent.ca = opts.ca
      if (opts.cert !== undefined) agent.cert = opts.cert
      if (opts.key !== undefined) agent.key = opts.key
      if (opts.pfx !== undefined) agent.pfx = opts.pfx
      if (opts.passphrase !== undefined) agent.passphrase = opts.passphrase
      if (opts.rejectUnauthorized !== undefined) agent.rejectUnauthorized = opts.rejectUnauthorized
      if (opts.servername !== undefined) agent.servername = opts.servername
      return agent
    },
    catch: (cause) => new KubeConfigError({ detail: `reading TLS settings: ${String(cause)}` })
  })

/**
 * Per-request credentials: asking the KubeConfig each time picks up rotated in-cluster tokens and
 * refreshed exec-plugin tokens.
 */
const authHeaders = (kc: KubeConfig): Effect.Effect<Record<string, string>, KubernetesUnavailable> =>
  Effect.tryPromise({
    try: async () => {
      const opts: Https.RequestOptions = {}
      await kc.applyToHTTPSOptions(opts)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (typeof value === "string") headers[name] = value
        else if (typeof value === "number") headers[name] = String(value)
      }
      if (typeof opts.auth === "string") headers["Authorization"] = `Basic ${Buffer.from(opts.auth).toString("base64")}`
      return headers
    },
    // The cause may carry credentials: keep only its message.
    catch: (cause) =>
      new KubernetesUnavailable({
        detail: `could not obtain credentials: ${cause instanceof Error ? cause.message : "unknown error"}`
      })
  })

const transportError = (error: HttpClientError): KubernetesUnavailable =>
  new KubernetesUnavailable({
    detail: error._tag === "RequestError"
      ? `request failed (${error.reason}): ${error.cause instanceof Error ? error.cause.message : error.message}`
      : `reading the response failed (${error.reason})`
  })

/** Where a call is aimed: an object, or a collection (no name), in a namespace or across all. */
interface Target {
  readonly namespace?: string | undefined
  readonly name?: string | undefined
}

const subjectOf = (kind: { readonly kind: string }, ref: Target): Subject => ({
  kind: kind.kind,
  ...(ref.namespace === undefined || ref.namespace === "" ? {} : { namespace: ref.namespace }),
  name: ref.name ?? ""
})

const parseJson = (text: string, subject: Subject): Effect.Effect<unknown, KubernetesUnavailable> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () =>
      new KubernetesUnavailable({ detail: `the apiserver sent a body that is not JSON for ${subject.kind} ${subject.name}` })
  })

/** Decodes one object with its kind's schema; an object the schema refuses is reported, never thrown. */
const decodeObject = <A extends Object, I>(
  kind: Kind<A, I>,
  raw: unknown
): Effect.Effect<A, KubernetesInvalid> =>
  Schema.decodeUnknown(kind.schema)(raw).pipe(
    Effect.mapError((error) =>
      new KubernetesInvalid({
        kind: kind.kind,
        name: nameOf(raw),
        detail: `the stored object does not match the ${kind.kind} schema at ${parseFailurePaths(error)}`
      })
    )
  )

const nameOf = (raw: unknown): string => {
  if (typeof raw !== "object" || raw === null || !("metadata" in raw)) return "<unnamed>"
  const metadata = raw.metadata
  if (typeof metadata !== "object" || metadata === null || !("name" in metadata)) return "<unnamed>"
  const name = metadata.name
  return typeof name === "string" ? name : "<unnamed>"
}

/** The wire form: the schema's encoding plus apiVersion/kind, which the apiserver requires. */
const encodeObject = <A extends Object, I>(kind: Kind<A, I>, object: A): Effect.Effect<unknown, KubernetesInvalid> =>
  Schema.encode(kind.schema)(object).pipe(
    Effect.map((encoded) => ({ ...(encoded as object), apiVersion: apiVersionOf(kind), kind: kind.kind })),
    Effect.mapError((error) =>
      new KubernetesInvalid({ kind: kind.kind, name: object.metadata.name, detail: `cannot encode: ${parseFailurePaths(error)}` })
    )
  )

/** Decodes list items and watch objects: a single undecodable object is logged and skipped, not fatal to the rest. */
const decodeOrSkip = <A extends Object, I>(kind: Kind<A, I>, raw: unknown): Effect.Effect<Option.Option<A>> =>
  decodeObject(kind, raw).pipe(
    Effect.map(Option.some),
    Effect.catchAll((error) =>
      Effect.logWarning("skipping an object that does not decode").pipe(
        Effect.annotateLogs({ kind: kind.kind, name: error.name, detail: error.detail }),
        Effect.as(Option.none<A>())
      )
    )
  )

const listMetadata = Schema.Struct({
  metadata: Schema.optional(
    Schema.Struct({ resourceVersion: Schema.optional(Schema.String), continue: Schema.optional(Schema.String) })
  ),
  items: Schema.optional(Schema.Array(Schema.Unknown))
})

const watchEventEnvelope = Schema.Struct({ type: Schema.String, object: Schema.Unknown })

const bookmarkObject = Schema.Struct({ metadata: Schema.Struct({ resourceVersion: Schema.String }) })

const watchStatusObject = Schema.Struct({ code: Schema.optional(Schema.Number), message: Schema.optional(Schema.String) })

/** Builds the service on a KubeConfig; the connection pool lives as long as the scope. */
export const make = (
  kc: KubeConfig,
  options: KubernetesLiveOptions = {}
): Effect.Effect<Kubernetes, KubeConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const cluster = kc.getCurrentCluster()
    if (cluster === null) return yield* new KubeConfigError({ detail: "the kubeconfig has no current cluster" })
    const server = cluster.server.replace(/\/+$/, "")
    const agent = yield* NodeHttpClient.makeAgent(yield* tlsOptions(kc))
    const client = yield* NodeHttpClient.make.pipe(Effect.provideService(NodeHttpClient.HttpAgent, agent))
    const requestTimeout = Duration.decode(options.requestTimeout ?? "30 seconds")
    const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300
    const pageSize = options.pageSize ?? 500

    const request = (call: Call): Effect.Effect<HttpClientRequest.HttpClientRequest, KubernetesError> =>
      Effect.gen(function*() {
        const headers = yield* authHeaders(kc)
        let req = HttpClientRequest.make(call.method)(`${server}${call.path}`).pipe(
          HttpClientRequest.setHeaders(headers),
          HttpClientRequest.acceptJson
        )
        for (const [key, value] of Object.entries(call.query ?? {})) {
          if (value !== undefined) req = HttpClientRequest.setUrlParam(req, key, value)
        }
        if (call.body !== undefined) {
          req = HttpClientRequest.bodyText(req, JSON.stringify(call.body.value), call.body.contentType)
        }
        return req
      })

    /** One request, answered by a JSON body; non-2xx answers become typed errors. */
    const send = (call: Call): Effect.Effect<unknown, KubernetesError> =>
      Effect.gen(function*() {
        const response = yield* client.execute(yield* request(call)).pipe(Effect.mapError(transportError))
        const text = yield* response.text.pipe(Effect.mapError(transportError))
        if (response.status >= 300) {
          // Error bodies are usually a metav1.Status, but proxies answer with anything; the status code decides.
          const body = yield* parseJson(text, call.subject).pipe(Effect.orElseSucceed(() => text))
          return yield* Effect.fail(fromStatus(response.status, body, call.subject))
        }
        return text === "" ? undefined : yield* parseJson(text, call.subject)
      }).pipe(
        Effect.timeoutFail({
          duration: requestTimeout,
          onTimeout: () =>
            new KubernetesUnavailable({
              detail: `${call.method} ${call.path} got no answer within ${Duration.format(requestTimeout)}`
            })
        })
      )

    const span = (name: string, kind: { readonly kind: string }, ref: Target) =>
      Effect.withSpan(`Kubernetes.${name}`, {
        kind: "client",
        attributes: {
          "k8s.kind": kind.kind,
          ...(ref.namespace === undefined ? {} : { "k8s.namespace": ref.namespace }),
          ...(ref.name === undefined ? {} : { "k8s.name": ref.name })
        }
      })

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
          const page: typeof listMetadata.Type = yield* Schema.decodeUnknown(listMetadata)(raw).pipe(
            Effect.mapError((error) => new KubernetesUnavailable({ detail: `malformed ${kind.kind} list at ${parseFailurePaths(error)}` }))
          )
          for (const item of page.items ?? []) {
            const decoded = yield* decodeOrSkip(kind, item)
            if (Option.isSome(decoded)) items.push(decoded.value)
          }
          resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
          continueToken = page.metadata?.continue === "" ? undefined : page.metadata?.continue
        } while (continueToken !== undefined)
        return { items, resourceVersion }
      }).pipe(span("list", kind, { namespace: opts.namespace }))

    const create = <A extends Object, I>(kind: Kind<A, I>, object: A): Effect.Effect<A, KubernetesError> =>
      Effect.gen(function*() {
        const body = yield* encodeObject(kind, object)
        const raw = yield* send({
          method: "POST",
          path: collectionPath(kind, object.metadata.namespace),
          body: { contentType: "application/json", value: body },
          subject: subjectOf(kind, object.metadata)
        })
        return yield* decodeObject(kind, raw)
      }).pipe(span("create", kind, object.metadata))

    const replace = <A extends Object, I>(
      kind: Kind<A, I>,
      object: A,
      opts: PatchOptions = {}
    ): Effect.Effect<A, KubernetesError> =>
      Effect.gen(function*() {
        const body = yield* encodeObject(kind, object)
        const raw = yield* send({
          method: "PUT",
          path: objectPath(kind, object.metadata.namespace, object.metadata.name, opts.subresource),
          body: { contentType: "application/json", value: body },
          subject: subjectOf(kind, object.metadata)
        })
        return yield* decodeObject(kind, raw)
      }).pipe(span(opts.subresource === "status" ? "replaceStatus" : "replace", kind, object.metadata))

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

    /** "From now": the current resourceVersion, read with the cheapest possible list. */
    const currentResourceVersion = <A extends Object, I>(kind: Kind<A, I>, opts: ListOptions) =>
      send({
        method: "GET",
        path: collectionPath(kind, opts.namespace),
        query: { limit: "1", labelSelector: opts.labelSelector },
        subject: subjectOf(kind, { namespace: opts.namespace })
      }).pipe(
        Effect.flatMap((raw) => Schema.decodeUnknown(listMetadata)(raw)),
        Effect.map((page) => page.metadata?.resourceVersion),
        Effect.mapError((error) =>
          error._tag === "ParseError"
            ? new KubernetesUnavailable({ detail: `malformed ${kind.kind} list at ${parseFailurePaths(error)}` })
            : error
        )
      )

    const watchEvent = <A extends Object, I>(
      kind: Kind<A, I>,
      subject: Subject,
      line: string
    ): Effect.Effect<Option.Option<WatchEvent<A>>, KubernetesError> =>
      Effect.gen(function*() {
        const envelope = yield* parseJson(line, subject).pipe(
          Effect.flatMap((raw) => Schema.decodeUnknown(watchEventEnvelope)(raw)),
          Effect.mapError(() => new KubernetesUnavailable({ detail: `malformed ${kind.kind} watch event` }))
        )
        switch (envelope.type) {
          case "ADDED": {
            const object = yield* decodeOrSkip(kind, envelope.object)
            return Option.map(object, (o): WatchEvent<A> => ({ type: "ADDED", object: o }))
          }
          case "MODIFIED":
          case "DELETED": {
            const type = envelope.type
            const decoded = yield* Effect.either(decodeObject(kind, envelope.object))
            if (decoded._tag === "Right") return Option.some<WatchEvent<A>>({ type, object: decoded.right })
            // Skipping it would leave the watcher's older copy in place, served as current. A WatchEvent
            // must carry a decoded object, so ask for a relist instead: the list skips the object, and the
            // watcher treats it as gone (as one that never decoded), and a get reports it as invalid.
            yield* Effect.logWarning("an object changed into one that does not decode; relisting").pipe(
              Effect.annotateLogs({ kind: kind.kind, name: decoded.left.name })
            )
            return yield* Effect.fail(
              new KubernetesGone({ detail: `${kind.kind} ${decoded.left.name} no longer decodes; relist to drop it` })
            )
          }
          case "BOOKMARK": {
            const bookmark = yield* Schema.decodeUnknown(bookmarkObject)(envelope.object).pipe(
              Effect.mapError(() => new KubernetesUnavailable({ detail: `malformed ${kind.kind} watch bookmark` }))
            )
            return Option.some<WatchEvent<A>>({ type: "BOOKMARK", resourceVersion: bookmark.metadata.resourceVersion })
          }
          case "ERROR": {
            // The apiserver reports an expired resourceVersion as an ERROR event carrying a 410 Status.
            const status = Schema.decodeUnknownOption(watchStatusObject)(envelope.object)
            const code = Option.flatMap(status, (s) => Option.fromNullable(s.code)).pipe(Option.getOrElse(() => 500))
            return yield* Effect.fail(
              code === 410
                ? new KubernetesGone({ detail: statusMessage(envelope.object, "watch expired") })
                : fromStatus(code, envelope.object, subject)
            )
          }
          default:
            return Option.none()
        }
      })

    const watch = <A extends Object, I>(kind: Kind<A, I>, opts: WatchOptions = {}): Stream.Stream<WatchEvent<A>, KubernetesError> =>
      Stream.unwrap(
        Effect.gen(function*() {
          const resourceVersion = opts.resourceVersion ?? (yield* currentResourceVersion(kind, opts))
          const subject = subjectOf(kind, { namespace: opts.namespace })
          const req = yield* request({
            method: "GET",
            path: collectionPath(kind, opts.namespace),
            query: {
              watch: "true",
              allowWatchBookmarks: "true",
              timeoutSeconds: String(watchTimeoutSeconds),
              resourceVersion,
              labelSelector: opts.labelSelector
            },
            subject
          })
          const response: HttpClientResponse.HttpClientResponse = yield* client.execute(req).pipe(
            Effect.mapError(transportError),
            Effect.timeoutFail({
              duration: requestTimeout,
              onTimeout: () => new KubernetesUnavailable({ detail: `the ${kind.kind} watch was not accepted in time` })
            })
          )
          if (response.status !== 200) {
            const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
            const body = yield* parseJson(text, subject).pipe(Effect.orElseSucceed(() => text))
            return yield* Effect.fail(
              response.status === 410
                ? new KubernetesGone({ detail: statusMessage(body, "watch expired") })
                : fromStatus(response.status, body, subject)
            )
          }
          return response.stream.pipe(
            Stream.mapError(transportError),
            Stream.decodeText(),
            Stream.splitLines,
            Stream.filter((line) => line.trim() !== ""),
            Stream.mapEffect((line) => watchEvent(kind, subject, line)),
            Stream.filterMap((event) => event),
            // A silent connection past the server-side timeout is a dead one.
            Stream.timeoutFail(
              () => new KubernetesUnavailable({ detail: `the ${kind.kind} watch went silent` }),
              Duration.seconds(watchTimeoutSeconds + 60)
            )
          )
        }).pipe(span("watch", kind, { namespace: opts.namespace }))
      )

    return Kubernetes.of({ get, list, create, replace, patch, delete: del, watch })
  })

/** The service on a given KubeConfig. */
export const layer = (kc: KubeConfig, options?: KubernetesLiveOptions): Layer.Layer<Kubernetes, KubeConfigError> =>
  Layer.scoped(Kubernetes, make(kc, options))

/** Loads a kubeconfig file. */
export const loadFile = (path: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.try({
    try: () => {
      const kc = new KubeConfig()
      kc.loadFromFile(path)
      return kc
    },
    catch: (cause) => new KubeConfigError({ detail: `cannot load ${path}: ${loadErrorReason(cause)}` })
  })

/** KUBECONFIG, else ~/.kube/config, else the in-cluster service account (client-node's usual search order). */
export const loadFromEnvironment: Effect.Effect<KubeConfig, KubeConfigError> = Effect.try({
  try: () => {
    const kc = new KubeConfig()
    kc.loadFromDefault()
    return kc
  },
  catch: (cause) => new KubeConfigError({ detail: loadErrorReason(cause) })
})

/**
 * Why a kubeconfig could not be loaded, without any of its content: a YAML error's message quotes the
 * offending lines, which may hold a bearer token. Only the parser's reason and the line number are kept.
 */
export const loadErrorReason = (cause: unknown): string => {
  if (typeof cause !== "object" || cause === null) return "unknown error"
  if ("reason" in cause && typeof cause.reason === "string") {
    const line = "mark" in cause && typeof cause.mark === "object" && cause.mark !== null && "line" in cause.mark &&
        typeof cause.mark.line === "number"
      ? ` at line ${cause.mark.line + 1}`
      : ""
    return `invalid YAML: ${cause.reason}${line}`
  }
  // JSON.parse and similar quote the input too.
  if (cause instanceof SyntaxError) return "invalid syntax"
  // File system errors (ENOENT, EACCES) and client-node's validation name paths and fields, not values.
  return cause instanceof Error ? cause.message : "unknown error"
}

export const layerFromFile = (path: string, options?: KubernetesLiveOptions): Layer.Layer<Kubernetes, KubeConfigError> =>
  Layer.scoped(Kubernetes, Effect.flatMap(loadFile(path), (kc) => make(kc, options)))

export const layerFromEnvironment = (options?: KubernetesLiveOptions): Layer.Layer<Kubernetes, KubeConfigError> =>
  Layer.scoped(Kubernetes, Effect.flatMap(loadFromEnvironment, (kc) => make(kc, options)))
