import { Clock, Duration, Effect, Redacted, Ref } from "effect"
import { readFile } from "node:fs/promises"
import { QuayUnauthorized } from "../../services/QuayError.ts"
import { secretKeys, type TokenSource } from "./config.ts"

/**
 * The operator's bearer token when a request needs it. A token from a file (the mounted `quaytoken` Secret, which
 * the kubelet rewrites when the Secret changes) is read again once `refresh` has passed since the last good read,
 * so a rotated token is in use within `refresh` plus the kubelet's sync, without a restart. A failed read is not
 * kept: the next request tries the file again.
 */
export const defaultTokenRefresh = Duration.seconds(30)

export const makeTokenProvider = (
  source: TokenSource,
  refresh: Duration.DurationInput = defaultTokenRefresh
): Effect.Effect<Effect.Effect<Redacted.Redacted<string>, QuayUnauthorized>> => {
  if (source._tag === "Value") return Effect.succeed(Effect.succeed(source.token))
  const path = source.path
  const what = `the token file ${path} (key '${secretKeys.token}' of the quaytoken Secret)`
  const refreshMillis = Duration.toMillis(Duration.decode(refresh))
  const read = Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) =>
      new QuayUnauthorized({
        detail: `cannot read ${what}: ${
          typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "unreadable"
        }`
      })
  }).pipe(
    Effect.flatMap((text) => {
      const token = text.trim()
      return token === ""
        ? Effect.fail(new QuayUnauthorized({ detail: `${what} is empty` }))
        : Effect.succeed(Redacted.make(token))
    }),
    Effect.withSpan("QuayHttp.readTokenFile", { attributes: { "file.path": path } })
  )
  return Effect.map(
    Ref.make<{ readonly token: Redacted.Redacted<string>; readonly at: number } | undefined>(undefined),
    (cache) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const cached = yield* Ref.get(cache)
        if (cached !== undefined && now - cached.at < refreshMillis) return cached.token
        const token = yield* read
        yield* Ref.set(cache, { token, at: now })
        return token
      })
  )
}
