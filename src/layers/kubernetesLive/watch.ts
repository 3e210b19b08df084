/**
 * Watches against the apiserver: one streaming GET with bookmarks, split into JSON lines, each turned into a
 * `WatchEvent` or a typed error (410 Gone asks the caller to relist).
 */
import { Duration, Effect, Option, Schema, Stream } from "effect"
import type { ObjectMeta } from "../../domain/ObjectMeta.ts"
import type { WatchEvent, WatchOptions } from "../../services/Kubernetes.ts"
import { type KubernetesError, KubernetesGone, KubernetesUnavailable } from "../../services/KubernetesError.ts"
import type { ResourceKind } from "../../services/ResourceKind.ts"
import { fromStatus, statusMessage, type Subject, subjectOf } from "./apiErrors.ts"
import { decodeListPage, decodeObject, decodeOrSkip } from "./codec.ts"
import { collectionPath } from "./paths.ts"
import { parseJson, type Transport } from "./transport.ts"

type Object = { readonly metadata: ObjectMeta }

const watchEventEnvelope = Schema.Struct({ type: Schema.String, object: Schema.Unknown })
// Synchronous, built once: it runs on every event.
const decodeEnvelope = Schema.decodeUnknownEither(watchEventEnvelope)

const bookmarkObject = Schema.Struct({ metadata: Schema.Struct({ resourceVersion: Schema.String }) })

const watchStatusObject = Schema.Struct({ code: Schema.optional(Schema.Number), message: Schema.optional(Schema.String) })

/** One line of a watch: an event to hand on, nothing (unknown types), or the error that ends the watch. */
const watchEvent = <A extends Object, I>(
  kind: ResourceKind<A, I>,
  subject: Subject,
  line: string
): Effect.Effect<Option.Option<WatchEvent<A>>, KubernetesError> =>
  Effect.gen(function*() {
    const envelope = yield* parseJson(line, subject).pipe(
      Effect.flatMap((raw) => decodeEnvelope(raw)),
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
        const decoded = decodeObject(kind, envelope.object)
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

/** "From now": the current resourceVersion, read with the cheapest possible list. */
const currentResourceVersion = <A extends Object, I>(
  transport: Transport,
  kind: ResourceKind<A, I>,
  options: WatchOptions
): Effect.Effect<string | undefined, KubernetesError> =>
  transport.send({
    method: "GET",
    path: collectionPath(kind, options.namespace),
    query: { limit: "1", labelSelector: options.labelSelector },
    subject: subjectOf(kind, { namespace: options.namespace })
  }).pipe(
    Effect.flatMap((raw) => decodeListPage(kind, raw)),
    Effect.map((page) => page.metadata?.resourceVersion)
  )

/** Opens a watch that the apiserver ends after `watchTimeoutSeconds`; the caller resumes from the last version. */
export const openWatch = <A extends Object, I>(
  transport: Transport,
  watchTimeoutSeconds: number,
  kind: ResourceKind<A, I>,
  options: WatchOptions
): Effect.Effect<Stream.Stream<WatchEvent<A>, KubernetesError>, KubernetesError> =>
  Effect.gen(function*() {
    const resourceVersion = options.resourceVersion ?? (yield* currentResourceVersion(transport, kind, options))
    const subject = subjectOf(kind, { namespace: options.namespace })
    const opened = yield* transport.open({
      method: "GET",
      path: collectionPath(kind, options.namespace),
      query: {
        watch: "true",
        allowWatchBookmarks: "true",
        timeoutSeconds: String(watchTimeoutSeconds),
        resourceVersion,
        labelSelector: options.labelSelector
      },
      subject
    })
    if (opened._tag === "Refused") {
      const body = yield* parseJson(opened.text, subject).pipe(Effect.orElseSucceed(() => opened.text))
      return yield* Effect.fail(
        opened.status === 410
          ? new KubernetesGone({ detail: statusMessage(body, "watch expired") })
          : fromStatus(opened.status, body, subject)
      )
    }
    return opened.lines.pipe(
      Stream.filter((line) => line.trim() !== ""),
      Stream.mapEffect((line) => watchEvent(kind, subject, line)),
      Stream.filterMap((event) => event),
      // A silent connection past the server-side timeout is a dead one.
      Stream.timeoutFail(
        () => new KubernetesUnavailable({ detail: `the ${kind.kind} watch went silent` }),
        Duration.seconds(watchTimeoutSeconds + 60)
      )
    )
  })
