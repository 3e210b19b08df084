/** QuayHttp against a scripted server: tokens stay out of errors, logs and spans. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Redacted, Tracer } from "effect"
import { type QuayError } from "../../src/services/QuayError.ts"
import {
  operatorToken,
  robotToken,
  org,
  json,
  htmlPage,
  robotBody,
  stubServer,
  liveQuay,
  quayAnswering,
  failure,
  assertNoSecrets,
  assertErrorHasNoSecrets
} from "./scriptedQuayServer.ts"

describe("QuayHttp against a scripted server", () => {
  describe("redaction", () => {
    it.scopedLive("tokens reach neither errors nor logs, and robot tokens are Redacted", () =>
      Effect.gen(function*() {
        const logs: Array<string> = []
        const captured = Logger.make(({ message, annotations }) => {
          logs.push(JSON.stringify({ message, annotations: [...annotations] }))
        })
        // Quay (or a proxy) echoing the operator token back must not carry it into errors or logs.
        const stub = yield* stubServer((request) => {
          if (request.method === "GET" && request.url.includes("/repository/")) {
            return json(401, { error: `Invalid token: Bearer ${operatorToken}` })
          }
          if (request.method === "GET" && request.url.includes("/robots?")) return json(500, { message: `internal error for ${operatorToken}` })
          if (request.method === "PUT") return json(201, robotBody("r"))
          if (request.method === "POST") return json(200, robotBody("r"))
          if (request.method === "GET") return json(200, { name: `${org}+r`, token: robotToken, description: 7 })
          return htmlPage(502, `gateway for ${operatorToken}`)
        })
        const quay = yield* liveQuay(stub.url)
        const program = Effect.gen(function*() {
          const errors: Array<QuayError> = []
          errors.push(yield* failure(quay.getRepository("t/a")))
          errors.push(yield* failure(quay.listRobots()))
          const created = yield* quay.createRobot("r", "d")
          const regenerated = yield* quay.regenerateRobotToken("r")
          errors.push(yield* failure(quay.getRobot("r")))
          errors.push(yield* failure(quay.deleteRobot("r")))
          return { errors, robots: [created, regenerated] }
        }).pipe(Logger.withMinimumLogLevel(LogLevel.All), Effect.provide(Logger.replace(Logger.defaultLogger, captured)))
        const { errors, robots } = yield* program

        assert.deepStrictEqual(errors.map((e) => e._tag), [
          "QuayUnauthorized",
          "QuayUnavailable",
          "QuayUnavailable",
          "QuayUnavailable"
        ])
        assert.include(errors[0]?.message ?? "", "<redacted>")
        assert.include(errors[1]?.message ?? "", "<redacted>")
        assert.include(errors[3]?.message ?? "", "<redacted>")
        for (const error of errors) assertErrorHasNoSecrets(error)
        for (const robot of robots) {
          assert.isTrue(Redacted.isRedacted(robot.token))
          assert.strictEqual(Redacted.value(robot.token), robotToken)
          assertNoSecrets(String(robot.token), "String(robot.token)")
          assertNoSecrets(JSON.stringify(robot), "JSON of a robot")
        }
        assert.isAbove(logs.length, 0, "retries are logged at debug level")
        for (const line of logs) assertNoSecrets(line, "a log line")
      }))

    it.scopedLive("spans are named after the operation, carry method, path and status, and no token", () =>
      Effect.gen(function*() {
        const spans: Array<Tracer.Span> = []
        const native = yield* Effect.tracer
        const recording = Tracer.make({
          span: (name, parent, context, links, startTime, kind, options) => {
            const span = native.span(name, parent, context, links, startTime, kind, options)
            spans.push(span)
            return span
          },
          context: (f, fiber) => native.context(f, fiber)
        })
        const { quay } = yield* quayAnswering(json(201, robotBody("r")))
        yield* quay.createRobot("r", "d").pipe(Effect.withTracer(recording))
        const span = spans.find((s) => s.name === "Quay.createRobot")
        assert.isDefined(span)
        assert.strictEqual(span?.attributes.get("http.request.method"), "PUT")
        assert.strictEqual(span?.attributes.get("quay.path"), `/organization/${org}/robots/r`)
        assert.strictEqual(span?.attributes.get("http.response.status_code"), 201)
        for (const s of spans) {
          for (const [key, value] of s.attributes) assertNoSecrets(`${key}=${String(value)}`, `span ${s.name} attribute`)
        }
      }))
  })
})
