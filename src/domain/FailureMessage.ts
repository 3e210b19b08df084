/**
 * The text of a failure whose type is unknown (a defect, a library's rejection, a configuration error), for a
 * log line or a one-line CLI error. Only a message is ever taken: the failure itself may hold objects, and
 * objects may hold tokens.
 */
export const failureMessage = (failure: unknown, fallback = "unknown error"): string => {
  if (typeof failure === "object" && failure !== null) {
    if ("message" in failure && typeof failure.message === "string" && failure.message !== "") return failure.message
    if ("_tag" in failure && typeof failure._tag === "string") return failure._tag
  }
  return typeof failure === "string" && failure !== "" ? failure : fallback
}
