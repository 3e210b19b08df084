import { Effect } from "effect"
import type { Quay, QuayNotification, QuayNotificationInput } from "../../services/Quay.ts"
import { type QuayError, QuayInvalidRequest, QuayNotFound } from "../../services/QuayError.ts"
import { paths } from "./paths.ts"
import type { QuayOperation } from "./permissions.ts"
import { decode, type QuayReply, says, unexpected } from "./reply.ts"
import type { QuayRequest } from "./request.ts"
import { type NotificationBody, NotificationList, NotificationBody as NotificationSchema } from "./wire.ts"

/**
 * The repository notification operations (Quay's `endpoints/api/repositorynotification.py`). Quay answers an
 * absent repository's list with an empty one and an unknown uuid's delete with a 400, never a 404: a 404 here
 * means the endpoint itself is missing (a Quay or proxy without it), which the caller is told as `QuayNotFound`.
 */

/** One request, its names checked first and its answer read (client.ts `single`). */
export type Single = <A>(
  operation: QuayOperation,
  request: QuayRequest & { readonly names: ReadonlyArray<string> },
  read: (reply: QuayReply) => Effect.Effect<A, QuayError>
) => Effect.Effect<A, QuayError>

/** Quay's text for a delete (or reset) of a uuid the repository does not have. */
export const noSuchNotification = "No repository notification found"

const toNotification = (body: NotificationBody): QuayNotification => ({
  uuid: body.uuid,
  title: body.title,
  event: body.event,
  method: body.method,
  config: body.config,
  numberOfFailures: body.number_of_failures
})

export const makeNotificationOperations = (
  org: string,
  single: Single
): Pick<Quay, "listNotifications" | "createNotification" | "deleteNotification"> => {
  const endpointMissing = (repository: string) =>
    new QuayNotFound({ resource: `notification endpoint for repository '${org}/${repository}'` })

  const listNotifications = (repository: string) =>
    single(
      "listNotifications",
      { names: [repository], method: "GET", path: paths.notifications(org, repository) },
      (reply): Effect.Effect<ReadonlyArray<QuayNotification>, QuayError> => {
        if (reply.status === 200) {
          return Effect.map(decode(NotificationList, reply), (body) => body.notifications.map(toNotification))
        }
        if (reply.status === 404) return Effect.fail(endpointMissing(repository))
        return Effect.fail(unexpected(reply, `repository '${org}/${repository}'`))
      }
    )

  const createNotification = (repository: string, input: QuayNotificationInput) =>
    single(
      "createNotification",
      {
        names: [repository],
        method: "POST",
        path: paths.notifications(org, repository),
        body: { title: input.title, event: input.event, method: input.method, config: input.config, eventConfig: {} }
      },
      (reply): Effect.Effect<QuayNotification, QuayError> => {
        if (reply.status === 200 || reply.status === 201) return Effect.map(decode(NotificationSchema, reply), toNotification)
        if (reply.status === 404) return Effect.fail(endpointMissing(repository))
        // The method refused the config: Quay's own text says why (e.g. "Missing webhook URL").
        if (reply.status === 400) return Effect.fail(new QuayInvalidRequest({ status: 400, detail: reply.summary }))
        return Effect.fail(unexpected(reply, `repository '${org}/${repository}'`))
      }
    )

  const deleteNotification = (repository: string, uuid: string) =>
    Effect.zipRight(checkUuid(uuid), single(
      "deleteNotification",
      { names: [repository], method: "DELETE", path: paths.notification(org, repository, uuid) },
      (reply): Effect.Effect<void, QuayError> => {
        if (reply.status === 204 || reply.status === 200) return Effect.void
        if (reply.status === 400 && says(reply, noSuchNotification)) return Effect.void
        if (reply.status === 404) return Effect.fail(endpointMissing(repository))
        return Effect.fail(unexpected(reply, `repository '${org}/${repository}'`))
      }
    ))

  return { listNotifications, createNotification, deleteNotification }
}

/** A uuid is one path segment: Quay's are UUIDs, and anything with a `/` would address another endpoint. */
export const checkUuid = (uuid: string): Effect.Effect<void, QuayInvalidRequest> =>
  uuid !== "" && !uuid.includes("/")
    ? Effect.void
    : Effect.fail(new QuayInvalidRequest({ status: 400, detail: `invalid notification uuid '${uuid.slice(0, 80)}'` }))
