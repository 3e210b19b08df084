/** The takeover run's checks: a loss is reported as a loss, an addition is not; leftovers are what is still there. */
import { describe, expect, it } from "vitest"
import * as Checks from "../../bench/takeover/Checks.ts"
import type { ModelSnapshot } from "../../src/simulator/QuayModel.ts"
import { createRepo, newModel, org, request } from "../quay/modelSupport.ts"

describe("lostFields", () => {
  const before = {
    image: { name: "ns/app", visibility: "public" },
    notifications: [{ title: "pushed", uuid: "u1" }]
  }

  it("reports nothing when the later version only adds fields, inside list items too", () => {
    const after = {
      image: { name: "ns/app", visibility: "public", url: "quay/ns/app" },
      notifications: [{ title: "pushed", uuid: "u1", fingerprint: "f" }],
      conditions: []
    }
    expect(Checks.lostFields(before, after, ["status"])).toEqual([])
    expect(Checks.addedFields(before, after, ["status"])).toEqual([
      "status.image.url",
      "status.notifications[0].fingerprint",
      "status.conditions"
    ])
  })

  it("reports a pruned field and a changed value by path", () => {
    const after = { image: { name: "ns/app", visibility: "private" } }
    expect(Checks.lostFields(before, after, ["spec"])).toEqual([
      `spec.image.visibility: "public" → "private"`,
      `spec.notifications: [{"title":"pushed","uuid":"u1"}] → (gone)`
    ])
  })
})

describe("loginOf and authenticates", () => {
  const secretOf = (username: string, token: string) => ({
    data: {
      ".dockerconfigjson": Buffer.from(JSON.stringify({
        auths: { "quay.example/org/ns/app": { auth: Buffer.from(`${username}:${token}`).toString("base64") } }
      })).toString("base64")
    }
  })

  it("reads the registry login and checks it by the simulator's grants", () => {
    const model = newModel()
    createRepo(model, "ns/app")
    request(model, "PUT", `/organization/${org}/robots/reader`, { body: {} })
    request(model, "PUT", `/repository/${org}/ns/app/permissions/user/${org}+reader`, { body: { role: "read" } })
    const token = model.robotToken("reader") ?? ""
    expect(Checks.loginOf(secretOf(`${org}+reader`, token))).toEqual({ username: `${org}+reader`, token })
    expect(Checks.loginOf({ data: {} })).toBeUndefined()
    expect(Checks.authenticates(model, secretOf(`${org}+reader`, token), "ns/app", "pull")).toBe(true)
    expect(Checks.authenticates(model, secretOf(`${org}+reader`, token), "ns/app", "push")).toBe(false)
    expect(Checks.authenticates(model, secretOf(`${org}+reader`, "wrong"), "ns/app", "pull")).toBe(false)
  })
})

describe("leftovers", () => {
  const snapshot = (robots: ReadonlyArray<string>, repositories: ReadonlyArray<string>): ModelSnapshot => ({
    organizations: [],
    repositories: repositories.map((name) => ({ namespace: "org", name, visibility: "public", description: "", permissions: {} })),
    robots: robots.map((shortName) => ({ name: `org+${shortName}`, organization: "org", shortName, description: "", created: "" })),
    permissions: repositories.map((repository) => ({ namespace: "org", repository, username: "org+ns_robot", role: "read" })),
    notifications: []
  })

  it("lists what the original created that is still there, and nothing created since", () => {
    const provisioned = snapshot(["ns_app_push", "ns_app_pull", "ns_robot"], ["ns/app", "ns/other"])
    const now = snapshot(["ns_robot", "created_later"], ["ns/other", "ns/later"])
    expect(Checks.leftovers(provisioned, now)).toEqual({
      robots: ["org+ns_robot"],
      repositories: ["org/ns/other"],
      permissions: ["org/ns/other org+ns_robot read"]
    })
  })
})
