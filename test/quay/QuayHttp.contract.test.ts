import { Context, Effect, Layer, Redacted, Schema } from "effect"
import * as QuayHttp from "../../src/layers/QuayHttp.ts"
import { Quay } from "../../src/services/Quay.ts"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"
import { quayContract } from "./contract.ts"

const operatorToken = "contract-operator-token"

const AuthAnswer = Schema.Struct({ allowed: Schema.Boolean })

/** The simulator's test hooks, over HTTP like everything else in this suite. */
const simHook = (url: string, init?: RequestInit) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, init)
    if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url}: HTTP ${response.status}`)
    return (await response.json()) as unknown
  }).pipe(Effect.orDie)

quayContract("QuayHttp against the simulator", ({ organization }) =>
  Effect.gen(function*() {
    const simulator = yield* QuaySimulator.start({ port: 0, organization, token: operatorToken })
    const quay = yield* Layer.build(
      QuayHttp.layer(
        {
          apiUrl: simulator.apiUrl,
          organization,
          token: Redacted.make(operatorToken),
          timeout: "10 seconds",
          // The simulator has no nginx limit unless asked; the paging test creates 130 repositories.
          requestsPerSecond: 1000,
          burst: 1000
        }
      )
    ).pipe(Effect.map(Context.get(Quay)))
    return {
      quay,
      authorize: (username, token, repository, access) => {
        const query = new URLSearchParams({
          robot: username,
          token: Redacted.value(token),
          repo: `${organization}/${repository}`,
          access
        })
        return simHook(`${simulator.url}/_sim/auth?${query.toString()}`).pipe(
          Effect.flatMap(Schema.decodeUnknown(AuthAnswer)),
          Effect.orDie,
          Effect.map((answer) => answer.allowed)
        )
      },
      setPlan: (plan) =>
        simHook(`${simulator.url}/_sim/plan`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ plan })
        }).pipe(Effect.asVoid)
    }
  }))
