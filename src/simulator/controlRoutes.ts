import type { IncomingMessage, ServerResponse } from "node:http"
import { faultKinds, type FaultShare, isFaultKind } from "./QuayFaults.ts"
import { isScope, type QuayModel, type Scope } from "./QuayModel.ts"
import { field, numberField, readJson, simJson } from "./http.ts"
import { failureMessage } from "../domain/FailureMessage.ts"

/**
 * The simulator's test hooks under `/_sim/` (not Quay's): `GET /_sim/state`, `GET /_sim/auth` (the `/v2/auth` grant
 * as a yes/no), `POST|DELETE /_sim/faults` (one kind's `next`/`rate`, or a `mix` of `{kind, rate}`), `POST /_sim/plan`, `DELETE /_sim/requests`, and `POST|DELETE
 * /_sim/tokens` to add an OAuth token of the operator's user with chosen scopes, or revoke one.
 */
const scopesOf = (value: unknown): ReadonlyArray<Scope> | undefined =>
  Array.isArray(value) && value.every(isScope) ? value : undefined

const sharesOf = (value: unknown): ReadonlyArray<FaultShare> | undefined => {
  if (!Array.isArray(value)) return undefined
  const shares = value.map((entry: unknown) => ({ kind: field(entry, "kind"), rate: field(entry, "rate") }))
  return shares.every((s): s is FaultShare => isFaultKind(s.kind) && typeof s.rate === "number") ? shares : undefined
}

export const controlRoute = async (model: QuayModel, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
  const method = req.method ?? "GET"
  const route = `${method} ${url.pathname}`
  switch (route) {
    case "GET /_sim/state":
      return simJson(res, 200, {
        ...model.snapshot(),
        requests: model.requestCounts(),
        faults: model.activeFaults,
        faultsInjected: model.faultsInjected
      })
    case "GET /_sim/auth": {
      const robot = url.searchParams.get("robot") ?? url.searchParams.get("username")
      const token = url.searchParams.get("token")
      const repo = url.searchParams.get("repo")
      const access = url.searchParams.get("access")
      if (robot === null || token === null || repo === null || (access !== "push" && access !== "pull")) {
        return simJson(res, 400, { message: "robot, token, repo (ns/name) and access (push|pull) are required" })
      }
      return simJson(res, 200, { allowed: model.authorize(robot, token, repo, access) })
    }
    case "POST /_sim/faults": {
      const body = await readJson(req)
      if (field(body, "clear") === true) {
        model.clearFaults()
        return simJson(res, 200, { faults: model.activeFaults })
      }
      const mix = field(body, "mix")
      const kind = field(body, "kind")
      if (mix === undefined && !isFaultKind(kind)) return simJson(res, 400, { message: `kind must be one of ${faultKinds.join(", ")}` })
      const shares = mix === undefined ? undefined : sharesOf(mix)
      if (mix !== undefined && shares === undefined) {
        return simJson(res, 400, { message: `mix must be a list of {kind, rate}, kind one of ${faultKinds.join(", ")}` })
      }
      try {
        if (shares !== undefined) model.injectFaultMix(shares)
        else if (isFaultKind(kind)) model.injectFaults({ kind, next: numberField(body, "next"), rate: numberField(body, "rate") })
      } catch (error) {
        return simJson(res, 400, { message: failureMessage(error) })
      }
      return simJson(res, 200, { faults: model.activeFaults })
    }
    case "DELETE /_sim/faults":
      model.clearFaults()
      return simJson(res, 200, { faults: model.activeFaults })
    case "POST /_sim/plan": {
      const plan = field(await readJson(req), "plan")
      if (plan !== "free" && plan !== "paid") return simJson(res, 400, { message: "plan must be free or paid" })
      model.setPlan(plan)
      return simJson(res, 200, { plan })
    }
    case "DELETE /_sim/requests":
      model.resetRequestCounts()
      return simJson(res, 200, { requests: model.requestCounts() })
    case "POST /_sim/tokens": {
      const body = await readJson(req)
      const token = field(body, "token")
      const scopes = scopesOf(field(body, "scopes"))
      if (typeof token !== "string" || token === "" || scopes === undefined) {
        return simJson(res, 400, { message: "token (a non-empty string) and scopes (a list of Quay scopes) are required" })
      }
      model.addToken(token, scopes)
      return simJson(res, 200, { scopes })
    }
    case "DELETE /_sim/tokens": {
      const token = field(await readJson(req), "token")
      if (typeof token !== "string") return simJson(res, 400, { message: "token is required" })
      return simJson(res, 200, { revoked: model.revokeToken(token) })
    }
    default:
      return simJson(res, 404, { message: `no simulator endpoint ${route}` })
  }
}
