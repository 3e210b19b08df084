import { Duration, Either } from "effect"

/**
 * Durations as people write them in settings, one grammar for every one of them:
 * - a bare number is seconds (`600`, `0.5`), as the original controller's settings are;
 * - Go's form, as in Kubernetes manifests and flags (`90s`, `1m30s`, `500ms`, `2h`);
 * - Effect's words (`90 seconds`, `10 minutes`).
 */
export const parseDurationText = (text: string): Either.Either<Duration.Duration, string> => {
  const trimmed = text.trim()
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Either.right(Duration.millis(Number(trimmed) * 1000))
  if (/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(trimmed)) {
    let millis = 0
    for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      millis += Number(amount) * unitMillis[unit as keyof typeof unitMillis]
    }
    return Either.right(Duration.millis(millis))
  }
  const words = Duration.decodeUnknown(trimmed)
  return words._tag === "Some" ? Either.right(words.value) : Either.left(durationTextError(text))
}

const unitMillis = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const

/** Names every accepted form, so a mistyped setting tells its author what to write. */
export const durationTextError = (text: string): string =>
  `'${text}' is not a duration: write seconds (600), Go's form (90s, 1m30s, 500ms, 2h) or words (10 minutes)`
