/** The live layer's notification URLs, and the endpoint label its request metrics give them (no names in it). */
import { describe, expect, it } from "@effect/vitest"
import { endpointOf, paths } from "../../src/layers/quayHttp/paths.ts"

describe("notification paths", () => {
  it("the list keeps Quay's trailing slash; one notification is addressed by its uuid under the nested repository", () => {
    expect(paths.notifications("org", "ns/app")).toBe("/repository/org/ns/app/notification/")
    expect(paths.notification("org", "ns/app", "1b2c-3d")).toBe("/repository/org/ns/app/notification/1b2c-3d")
  })

  it("metrics label them by template, so series do not grow with repositories or uuids", () => {
    expect(endpointOf(paths.notifications("org", "ns/app"))).toBe("/repository/{repository}/notification/")
    expect(endpointOf(paths.notification("org", "ns/app", "u-1"))).toBe("/repository/{repository}/notification/{uuid}")
    expect(endpointOf(`${paths.notification("org", "ns/app", "u-1")}/test`)).toBe("/repository/{repository}/notification/{uuid}/test")
    expect(endpointOf(paths.repository("org", "ns/app"))).toBe("/repository/{repository}")
  })
})
