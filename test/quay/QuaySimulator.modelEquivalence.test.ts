/** Over HTTP the simulator answers exactly as its model does, for any request sequence. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck } from "effect"
import { QuayModel } from "../../src/simulator/QuayModel.ts"
import { org, token, http, startSim } from "./simulatorHttpSupport.ts"

interface WireCall {
  readonly method: string
  readonly path: string
  readonly body?: unknown
  readonly auth: boolean
}

const wireCall = FastCheck.oneof(
  ...[
    FastCheck.record({
      repository: FastCheck.constantFrom("ns/a", "ns/b", "Bad/Name"),
      visibility: FastCheck.constantFrom("public", "private")
    }).map((b) => ({ method: "POST", path: "/repository", body: { namespace: org, description: "", ...b } })),
    FastCheck.constantFrom("GET", "DELETE").chain((method) =>
      FastCheck.constantFrom("ns/a", "ns/b").map((r) => ({ method, path: `/repository/${org}/${r}` }))
    ),
    FastCheck.record({ r: FastCheck.constantFrom("ns/a", "ns/b"), visibility: FastCheck.constantFrom("public", "private") })
      .map(({ r, visibility }) => ({ method: "POST", path: `/repository/${org}/${r}/changevisibility`, body: { visibility } })),
    FastCheck.record({ method: FastCheck.constantFrom("GET", "PUT", "DELETE"), robot: FastCheck.constantFrom("r1", "r2", "X") })
      .map(({ method, robot }) => ({ method, path: `/organization/${org}/robots/${robot}` })),
    FastCheck.constantFrom("r1", "r2").map((robot) => ({ method: "POST", path: `/organization/${org}/robots/${robot}/regenerate` })),
    FastCheck.record({
      method: FastCheck.constantFrom("PUT", "DELETE", "GET"),
      r: FastCheck.constantFrom("ns/a", "ns/b"),
      robot: FastCheck.constantFrom("r1", "r2"),
      role: FastCheck.constantFrom("read", "write", "admin")
    }).map(({ method, r, robot, role }) => ({
      method,
      path: `/repository/${org}/${r}/permissions/user/${org}+${robot}`,
      ...(method === "PUT" ? { body: { role } } : {})
    })),
    FastCheck.constantFrom("permissions/user/", "permissions/user").map((suffix) => ({
      method: "GET",
      path: `/repository/${org}/ns/a/${suffix}`
    })),
    FastCheck.constant({ method: "GET", path: `/organization/${org}/robots` }),
    FastCheck.constant({ method: "GET", path: `/repository?namespace=${org}` })
  ]
).chain((call) => FastCheck.boolean().map((anonymous): WireCall => ({ ...call, auth: !anonymous })))

/** What may differ between two independent servers: fresh tokens, timestamps, badge tokens. */
const normalize = (text: string): string =>
  text
    .replace(/[A-Z0-9]{64}/g, "<token>")
    .replace(/\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} -0000/g, "<date>")
    .replace(/"status_token":"[0-9a-f-]*"/g, '"status_token":"<badge>"')

describe("QuaySimulator is the model over HTTP", () => {
  it.live("any request sequence gets the same answers over HTTP as from the model directly", () =>
    Effect.promise(() =>
      FastCheck.assert(
        FastCheck.asyncProperty(FastCheck.array(wireCall, { minLength: 1, maxLength: 25 }), async (calls) => {
          await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
            const sim = yield* startSim()
            const direct = new QuayModel({ organization: org, token })
            for (const call of calls) {
              const [path, query] = call.path.split("?")
              const expected = direct.handle({
                method: call.method,
                path: `/api/v1${path}`,
                query: new URLSearchParams(query ?? ""),
                authorization: call.auth ? `Bearer ${token}` : undefined,
                contentType: call.body === undefined ? undefined : "application/json",
                body: call.body === undefined ? undefined : JSON.stringify(call.body),
                host: sim.registryHost
              })
              const actual = yield* http(`${sim.apiUrl}${call.path}`, {
                method: call.method,
                auth: call.auth ? token : null,
                ...(call.body === undefined ? {} : { body: call.body })
              })
              assert.strictEqual(expected._tag, "Answer")
              if (expected._tag !== "Answer") continue
              const what = `${call.method} ${call.path}`
              assert.strictEqual(actual.status, expected.status, what)
              assert.strictEqual(actual.headers.get("content-type"), expected.headers["content-type"] ?? null, what)
              assert.strictEqual(actual.headers.get("location"), expected.headers["location"] ?? null, what)
              assert.strictEqual(normalize(actual.text), normalize(expected.body), what)
            }
          })))
        }),
        { numRuns: 15 }
      )
    ))
})
