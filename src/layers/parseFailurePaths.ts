import { ParseResult } from "effect"

/**
 * Where a decode or encode failed, without the values: the object may be a Secret, and its data must not reach
 * an error message or a log line.
 */
export const parseFailurePaths = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "(root)" : issue.path.join(".")}: ${issue._tag}`)
    .join(", ")
