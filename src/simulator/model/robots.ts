import { createRobotSchema, usernameIssue } from "../QuayValidation.ts"
import * as Wire from "../QuayWire.ts"
import type { QuayAnswer } from "../QuayWire.ts"
import { orgRole, refuse } from "./authorization.ts"
import { field, optionalBody, type RequestContext, truthy } from "./request.ts"
import { dropRobot, formatRfc2822, generateRobotToken, type QuayState, type Robot } from "./state.ts"

/** Organization robot endpoints (Quay's `endpoints/api/robot.py`). */

const robotView = (robot: Robot, withToken: boolean): Record<string, unknown> => ({
  name: `${robot.organization}+${robot.shortName}`,
  created: formatRfc2822(robot.created),
  last_accessed: null,
  description: robot.description,
  ...(withToken ? { token: robot.token } : {})
})

export const listRobots = (state: QuayState, c: RequestContext): QuayAnswer => {
  const org = c.params[0] ?? ""
  const role = orgRole(state, c.caller, org)
  if (role === undefined) return refuse(c)
  const isAdmin = role === "admin"
  const withToken = isAdmin && truthy(c.query.get("token"), true)
  const withPermissions = isAdmin && truthy(c.query.get("permissions"), false)
  const limitParam = c.query.get("limit")
  const limit = limitParam === null ? undefined : Number.parseInt(limitParam, 10)
  const robots = [...state.robots.values()]
    .filter((r) => r.organization === org)
    .slice(0, limit === undefined || Number.isNaN(limit) ? undefined : Math.max(limit, 0))
    .map((r) => {
      const full = `${r.organization}+${r.shortName}`
      return {
        ...robotView(r, withToken),
        ...(withPermissions
          ? {
            teams: [],
            repositories: [...state.repositories.values()]
              .filter((repo) => repo.namespace === org && repo.grants.has(full))
              .map((repo) => repo.name)
          }
          : {})
      }
    })
  return Wire.json(200, { robots })
}

export const getRobot = (state: QuayState, c: RequestContext): QuayAnswer => {
  const [org = "", shortName = ""] = c.params
  if (orgRole(state, c.caller, org) !== "admin") return refuse(c)
  const robot = state.robots.get(`${org}+${shortName}`)
  if (robot === undefined) return Wire.message(400, "Could not find robot with specified username")
  return Wire.json(200, { ...robotView(robot, true), unstructured_metadata: robot.metadata ?? {} })
}

export const createRobot = (state: QuayState, c: RequestContext): QuayAnswer => {
  const [org = "", shortName = ""] = c.params
  const body = optionalBody(c.request, c.host, createRobotSchema)
  if (body._tag === "Rejected") return body.answer
  if (orgRole(state, c.caller, org) !== "admin") return refuse(c)
  const issue = usernameIssue(shortName)
  if (issue !== undefined) {
    return Wire.invalidRequest(c.host, `The name for the robot '${shortName}' is invalid: ${issue}`)
  }
  const full = `${org}+${shortName}`
  // The full name lives in a varchar(255) column: PostgreSQL (quay.io's database) refuses longer ones, and the
  // data-model error reaches the client as it is.
  if (full.length > 255) return Wire.message(400, "value too long for type character varying(255)\n")
  if (state.robots.has(full)) return Wire.invalidRequest(c.host, `Existing robot with name: ${full}`)
  const descriptionField = field(body.value, "description")
  const metadata = field(body.value, "unstructured_metadata")
  const robot: Robot = {
    organization: org,
    shortName,
    token: generateRobotToken(),
    description: typeof descriptionField === "string" ? descriptionField : "",
    created: state.now(),
    metadata: metadata ?? null
  }
  state.robots.set(full, robot)
  return Wire.json(201, { ...robotView(robot, true), unstructured_metadata: robot.metadata })
}

export const deleteRobot = (state: QuayState, c: RequestContext): QuayAnswer => {
  const [org = "", shortName = ""] = c.params
  if (orgRole(state, c.caller, org) !== "admin") return refuse(c)
  const full = `${org}+${shortName}`
  if (!state.robots.has(full)) return Wire.message(400, "Could not find robot with specified username")
  dropRobot(state, full)
  return Wire.noContent
}

export const regenerateRobot = (state: QuayState, c: RequestContext): QuayAnswer => {
  const [org = "", shortName = ""] = c.params
  if (orgRole(state, c.caller, org) !== "admin") return refuse(c)
  const robot = state.robots.get(`${org}+${shortName}`)
  if (robot === undefined) return Wire.message(400, "Could not find robot with specified username")
  robot.token = generateRobotToken()
  return Wire.json(200, robotView(robot, true))
}
