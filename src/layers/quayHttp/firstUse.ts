import { Deferred, Effect, type Scope } from "effect"
import { Quay } from "../../services/Quay.ts"

/**
 * The Quay service as the operator's controllers get it, with a signal at their first call. A restart with every
 * object converged makes no Quay request at all, so whatever the operator would ask Quay only for itself (the
 * token's self-check, the first availability probe) waits for that signal instead of running at start-up: the
 * check is then said when it is needed, next to the first refusal it explains.
 */
export interface FirstUse {
  /** The service to give the controllers: each operation signals `used` before it runs. */
  readonly quay: Quay
  /** Completes at the controllers' first Quay call; never if they make none. */
  readonly used: Effect.Effect<void>
}

export const make: Effect.Effect<FirstUse, never, Quay> = Effect.gen(function*() {
  const quay = yield* Quay
  const used = yield* Deferred.make<void>()
  // Completing a completed Deferred is a no-op: the signal costs one check per call after the first.
  const signal = Deferred.succeed(used, undefined)
  const signalled = <Args extends ReadonlyArray<unknown>, A, E>(operation: (...args: Args) => Effect.Effect<A, E>) =>
  (...args: Args): Effect.Effect<A, E> => Effect.zipRight(signal, Effect.suspend(() => operation(...args)))
  return {
    used: Deferred.await(used),
    quay: {
      ...quay,
      getRepository: signalled(quay.getRepository),
      createRepository: signalled(quay.createRepository),
      changeVisibility: signalled(quay.changeVisibility),
      setRepositoryDescription: signalled(quay.setRepositoryDescription),
      deleteRepository: signalled(quay.deleteRepository),
      listRepositories: signalled(quay.listRepositories),
      getRobot: signalled(quay.getRobot),
      createRobot: signalled(quay.createRobot),
      regenerateRobotToken: signalled(quay.regenerateRobotToken),
      deleteRobot: signalled(quay.deleteRobot),
      listRobots: signalled(quay.listRobots),
      setPermission: signalled(quay.setPermission),
      deletePermission: signalled(quay.deletePermission),
      listPermissions: signalled(quay.listPermissions),
      listNotifications: signalled(quay.listNotifications),
      createNotification: signalled(quay.createNotification),
      deleteNotification: signalled(quay.deleteNotification)
      // verifyAccess is the self-check itself: it does not count as the operator's use.
    }
  }
})

/** `make`, with `check` (e.g. `QuayHttp.selfCheck`) run once in the background at the first use, for the scope's life. */
export const withCheck = <R>(check: Effect.Effect<void, never, R>): Effect.Effect<FirstUse, never, Quay | R | Scope.Scope> =>
  Effect.gen(function*() {
    const firstUse = yield* make
    yield* Effect.forkScoped(Effect.zipRight(firstUse.used, check))
    return firstUse
  })
