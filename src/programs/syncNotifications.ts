import { Data, Effect } from "effect"
import type { ImageRepository, ImageRepositoryStatus, NotificationStatus } from "../domain/ImageRepository.ts"
import * as Notification from "../domain/Notification.ts"
import * as ReadyCondition from "../domain/ReadyCondition.ts"
import { now } from "../domain/Timestamp.ts"
import { Quay, type QuayNotification } from "../services/Quay.ts"
import { isQuayError, type QuayError } from "../services/QuayError.ts"
import { fromQuay } from "./errors.ts"
import { writeStatus } from "./ImageRepositoryWrites.ts"
import { recordWarning } from "./recordEvent.ts"
import { settle } from "./statusTransitions.ts"
import type { Target } from "./Target.ts"

/**
 * spec.notifications kept in sync with the repository's Quay notifications, by title. Status records each title's
 * uuid and the fingerprint of what was sent, so a spec that did not change is known to be in place without a
 * call. Only uuids this object recorded are ever deleted, and only in its own repository, after that repository is
 * confirmed to be this object's. A notification someone else made is adopted only when it is exactly what the
 * spec asks for (the original controller adopted any of the same title). A change is made by creating the new one
 * (or adopting it, if an earlier pass created it and could not record it) before deleting the old one, so a config
 * Quay refuses leaves the old notification working.
 */

export interface Warning {
  readonly reason: string
  readonly message: string
}

export interface NotificationOutcome {
  /** The next status.notifications (undefined: none). */
  readonly notifications: ReadonlyArray<NotificationStatus> | undefined
  readonly warnings: ReadonlyArray<Warning>
  /** Something was created or deleted in Quay. */
  readonly changed: boolean
}

type Work =
  | { readonly _tag: "Keep"; readonly item: NotificationStatus }
  | { readonly _tag: "Verify"; readonly item: NotificationStatus; readonly desired: Notification.Desired }
  | { readonly _tag: "Replace"; readonly item: NotificationStatus; readonly desired: Notification.Desired }
  | { readonly _tag: "Create"; readonly desired: Notification.Desired }
  | { readonly _tag: "Delete"; readonly item: NotificationStatus }

/** Compares status with spec: no Quay call. `verifyRecorded` ignores fingerprints (a re-created repository). */
const planWork = (
  recorded: ReadonlyArray<NotificationStatus> | undefined,
  plan: Notification.Plan,
  verifyRecorded: boolean
): ReadonlyArray<Work> => {
  const desiredByTitle = new Map(plan.desired.map((d) => [d.title, d]))
  // An entry refused as bad input keeps what it had: nothing is lost while the user corrects it.
  const refusedTitles = new Set(plan.invalid.map((i) => i.title ?? ""))
  const placed = new Set<string>()
  const work: Array<Work> = []
  for (const item of recorded ?? []) {
    const title = item.title ?? ""
    if (item.uuid === undefined || item.uuid === "") continue
    const desired = desiredByTitle.get(title)
    if (desired === undefined || placed.has(title)) {
      work.push(refusedTitles.has(title) && !placed.has(title) ? { _tag: "Keep", item } : { _tag: "Delete", item })
      placed.add(title)
      continue
    }
    placed.add(title)
    if (!verifyRecorded && item.fingerprint === desired.fingerprint) work.push({ _tag: "Keep", item })
    else if (!verifyRecorded && item.fingerprint !== undefined) work.push({ _tag: "Replace", item, desired })
    else work.push({ _tag: "Verify", item, desired })
  }
  for (const desired of plan.desired) if (!placed.has(desired.title)) work.push({ _tag: "Create", desired })
  return work
}

/**
 * An entry the original controller wrote (title and uuid, no fingerprint) for a title spec still asks for is the
 * notification it made from that spec: it is taken over as it is and fingerprinted without a Quay call, so a
 * takeover costs nothing. A later change of the entry in spec replaces it as any other.
 */
const takenOver = (
  recorded: ReadonlyArray<NotificationStatus> | undefined,
  plan: Notification.Plan
): ReadonlyArray<NotificationStatus> | undefined => {
  const desiredByTitle = new Map(plan.desired.map((d) => [d.title, d]))
  return recorded?.map((item) => {
    const desired = desiredByTitle.get(item.title ?? "")
    return item.fingerprint === undefined && item.uuid !== undefined && item.uuid !== "" && desired !== undefined
      ? { ...item, fingerprint: desired.fingerprint }
      : item
  })
}

const recordOf = (desired: Notification.Desired, uuid: string): NotificationStatus => ({
  title: desired.title,
  uuid,
  fingerprint: desired.fingerprint
})

/** Quay answered in a way that means notifications cannot be applied to this repository now: say so, stop. */
class Unavailable extends Data.TaggedError("NotificationsUnavailable")<{ readonly warning: Warning }> {}

const unavailable = (repository: string, error: QuayError): Unavailable =>
  new Unavailable({
    warning: {
      reason: "NotificationsUnavailable",
      message: error._tag === "QuayNotFound"
        ? `spec.notifications were not applied: Quay answered 404 for the notifications of repository '${repository}' (a Quay or proxy without the repository notification API); they are tried again on the next pass`
        : `spec.notifications were not applied: ${error.message}`
    }
  })

/**
 * Syncs the notifications. `confirmed` proves the target is this object's; it runs only when something is to be
 * changed. Quay failures that may clear are returned as Transient (the pass is retried); a refused config is a
 * warning for that title; a notification API that answers 404 is one warning and no further call in this pass.
 */
export const syncNotifications = <E, R>(
  ir: ImageRepository,
  target: Target,
  confirmed: Effect.Effect<void, E, R>,
  options: { readonly verifyRecorded?: boolean } = {}
) =>
  Effect.suspend(() => {
    const plan = Notification.plan(ir.spec?.notifications)
    const warnings: Array<Warning> = plan.invalid.map((invalid) => ({
      reason: "InvalidNotification",
      message: Notification.describeInvalid(invalid)
    }))
    const verifyRecorded = options.verifyRecorded === true
    const recorded = verifyRecorded ? ir.status?.notifications : takenOver(ir.status?.notifications, plan)
    const work = planWork(recorded, plan, verifyRecorded)
    // Decided before the span: nearly every pass has nothing to sync.
    return work.every((w) => w._tag === "Keep")
      ? Effect.succeed<NotificationOutcome>({ notifications: recorded, warnings, changed: false })
      : applyWork(ir, target, confirmed, work, warnings)
  })

/** The Quay side of a sync that has work: confirmation first, then the changes, in one span. */
const applyWork = <E, R>(
  ir: ImageRepository,
  target: Target,
  confirmed: Effect.Effect<void, E, R>,
  work: ReadonlyArray<Work>,
  warnings: Array<Warning>
) =>
  Effect.gen(function*() {
    yield* confirmed
    const quay = yield* Quay
    const repository = target.repository
    const orUnavailable = <A>(effect: Effect.Effect<A, QuayError>) =>
      effect.pipe(
        Effect.catchIf(
          (e): e is QuayError => isQuayError(e) && (e._tag === "QuayNotFound" || e._tag === "QuayInvalidRequest"),
          (e) => Effect.fail(unavailable(repository, e))
        )
      )
    const listed = yield* Effect.cached(orUnavailable(quay.listNotifications(repository)))
    const recordedUuids = new Set(work.flatMap((w) => ("item" in w && w.item.uuid !== undefined ? [w.item.uuid] : [])))
    let changed = false

    /** Adopts an exact match this object has not recorded (one an interrupted pass created), else creates it. */
    const place = (desired: Notification.Desired) =>
      Effect.gen(function*() {
        const found = (yield* listed).find((n: QuayNotification) =>
          n.title === desired.title && !recordedUuids.has(n.uuid) && Notification.matches(desired, n)
        )
        if (found !== undefined) {
          recordedUuids.add(found.uuid)
          return recordOf(desired, found.uuid)
        }
        const created = yield* quay.createNotification(repository, desired).pipe(
          Effect.map((n) => n.uuid),
          Effect.catchTag("QuayInvalidRequest", (refused) => {
            warnings.push({
              reason: "NotificationRefused",
              message: `notification '${desired.title}' was refused by Quay: ${refused.detail}`
            })
            return Effect.succeed(undefined)
          }),
          orUnavailable
        )
        if (created === undefined) return undefined
        changed = true
        return recordOf(desired, created)
      })

    const remove = (uuid: string) =>
      Effect.tap(orUnavailable(quay.deleteNotification(repository, uuid)), () => {
        changed = true
      })

    const next: Array<NotificationStatus> = []
    const step = (w: Work) =>
      Effect.gen(function*() {
        switch (w._tag) {
          case "Keep":
            return void next.push(w.item)
          case "Delete":
            return yield* remove(w.item.uuid ?? "")
          case "Create": {
            const placed = yield* place(w.desired)
            return void (placed === undefined ? undefined : next.push(placed))
          }
          case "Verify": {
            const found = (yield* listed).find((n) => n.uuid === w.item.uuid)
            if (found !== undefined && Notification.matches(w.desired, found)) {
              return void next.push(recordOf(w.desired, found.uuid))
            }
            const placed = yield* place(w.desired)
            if (placed === undefined) return void (found === undefined ? undefined : next.push(w.item))
            next.push(placed)
            if (found !== undefined) yield* remove(found.uuid)
            return
          }
          case "Replace": {
            const placed = yield* place(w.desired)
            if (placed === undefined) return void next.push(w.item)
            next.push(placed)
            return yield* remove(w.item.uuid ?? "")
          }
        }
      })

    let reached = 0
    const stopped = yield* Effect.forEach(work, (w) => Effect.tap(step(w), () => void reached++), { discard: true }).pipe(
      Effect.as(undefined),
      Effect.catchTag("NotificationsUnavailable", (e) => Effect.succeed(e.warning)),
      Effect.catchIf(isQuayError, (e) => Effect.fail(fromQuay(e)))
    )
    if (stopped !== undefined) {
      // What this pass did not finish is kept as status had it (a duplicate title is deleted by a later pass).
      for (const w of work.slice(reached)) if ("item" in w) next.push(w.item)
      warnings.push(stopped)
    }
    if (changed) yield* Effect.logInfo(`notifications of ${target.imageUrl} synced`)
    const outcome: NotificationOutcome = {
      notifications: next.length === 0 && ir.status?.notifications === undefined ? undefined : next,
      warnings,
      changed
    }
    return outcome
  }).pipe(Effect.withSpan("syncNotifications", { captureStackTrace: false, attributes: { repository: target.repository } }))

/** The part of a maintenance pass this step reads and extends (maintain.ts's Pass). */
interface Step {
  readonly status: ImageRepositoryStatus
  readonly succeeded: boolean
  readonly warnings: ReadonlyArray<Warning>
}

const withNotifications = (status: ImageRepositoryStatus, notifications: ReadonlyArray<NotificationStatus> | undefined) => {
  const { notifications: _previous, ...rest } = status
  return notifications === undefined ? rest : { ...rest, notifications }
}

/**
 * The maintenance step: the pass with its status.notifications, its warnings and success. A warning status.message
 * already shows is not raised again: a notification that stays refused would otherwise cost an Event (and a write)
 * on every pass; the message stays, as a pass without warnings or success keeps it.
 */
export const notificationsStep = <P extends Step, E, R>(
  ir: ImageRepository,
  target: Target,
  pass: P,
  confirmed: Effect.Effect<void, E, R>
) =>
  Effect.map(syncNotifications(ir, target, confirmed), (outcome): P => ({
    ...pass,
    status: withNotifications(pass.status, outcome.notifications),
    succeeded: pass.succeeded || outcome.changed,
    warnings: [...pass.warnings, ...outcome.warnings.filter((w) => !(ir.status?.message ?? "").includes(w.message))]
  }))

/**
 * After provisioning (the repository is this object's and exists): the notifications, recorded in one status write.
 * What status recorded is checked in Quay rather than trusted, since the repository may have just been re-created.
 */
export const notificationsAfterProvisioning = (ready: ImageRepository, target: Target) =>
  Effect.gen(function*() {
    if ((ready.spec?.notifications ?? []).length === 0 && (ready.status?.notifications ?? []).length === 0) return
    const outcome = yield* syncNotifications(ready, target, Effect.void, { verifyRecorded: true })
    const status = withNotifications(ready.status ?? {}, outcome.notifications)
    if (outcome.warnings.length === 0) return yield* writeStatus(ready, status)
    const message = [ready.status?.message, ...outcome.warnings.map((w) => w.message)].filter((m) => m !== undefined)
      .join("; ")
    yield* writeStatus(
      ready,
      settle(ready, status, message, { status: "True", reason: ReadyCondition.Reason.ChangeReverted, message }, yield* now)
    )
    yield* Effect.forEach(outcome.warnings, (w) => recordWarning(ready, w.reason, w.message), { discard: true })
  })
