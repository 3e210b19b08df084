import { Context, Effect, Layer, Redacted, Schema } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
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

/** The simulator's certificate in a file, as a deployment mounts a private CA (QUAY_ADDITIONAL_CA). */
const trustedCa = (pem: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "quay-contract-ca-"))
      const file = Path.join(dir, "ca.pem")
      Fs.writeFileSync(file, pem)
      return file
    }),
    (file) => Effect.sync(() => Fs.rmSync(Path.dirname(file), { recursive: true, force: true }))
  )

// As quay.io serves it: TLS, ALPN offering h2, the client on one HTTP/2 connection. The test hooks are called in
// process here (they are served over HTTP/1.1 only, which the suite above covers).
quayContract("QuayHttp over HTTP/2 (TLS, ALPN h2) against the simulator", ({ organization }) =>
  Effect.gen(function*() {
    const simulator = yield* QuaySimulator.start({ port: 0, organization, token: operatorToken, tls: true, recordTimeline: true })
    const additionalCaPath = yield* trustedCa(simulator.certificatePem ?? "")
    const quay = yield* Layer.build(
      QuayHttp.layer({
        apiUrl: simulator.apiUrl,
        organization,
        token: Redacted.make(operatorToken),
        timeout: "10 seconds",
        http2: true,
        additionalCaPath,
        requestsPerSecond: 1000,
        burst: 1000
      })
    ).pipe(Effect.map(Context.get(Quay)))
    // Every request of the test went over HTTP/2, on one connection.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        const seen = simulator.timeline.since()
        const versions = new Set(seen.map((entry) => entry.httpVersion))
        const connections = new Set(seen.map((entry) => entry.client))
        if (seen.length > 0 && (versions.size !== 1 || !versions.has("2.0") || connections.size !== 1)) {
          throw new Error(`expected one HTTP/2 connection, saw versions ${[...versions].join(", ")} on ${connections.size} clients`)
        }
      })
    )
    return {
      quay,
      authorize: (username, token, repository, access) =>
        Effect.sync(() => simulator.model.authorize(username, Redacted.value(token), `${organization}/${repository}`, access)),
      setPlan: (plan) => Effect.sync(() => simulator.model.setPlan(plan))
    }
  }))
