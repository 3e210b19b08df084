import { describe, expect, it } from "@effect/vitest"
import { componentOf, defaultImageName, fromLabels } from "../../src/domain/ComponentRepository.ts"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"

const labels = { "appstudio.redhat.com/component": "comp", "appstudio.redhat.com/application": "app" }
const ir = (withLabels: Record<string, string> | undefined, status?: ImageRepository["status"]): ImageRepository => ({
  metadata: { name: "ir", namespace: "ns", ...(withLabels === undefined ? {} : { labels: withLabels }) },
  ...(status === undefined ? {} : { status })
})
const ready = { state: "ready", image: { url: "quay.io/org/ns/ir" } }
const readyHere = { ...ready, conditions: [] }

describe("ComponentRepository", () => {
  it("the labels name a Component only with both present and non-empty", () => {
    expect(fromLabels(ir(labels))).toEqual({ name: "comp", application: "app" })
    expect(fromLabels(ir({ "appstudio.redhat.com/component": "comp" }))).toBeUndefined()
    expect(fromLabels(ir({ ...labels, "appstudio.redhat.com/application": "" }))).toBeUndefined()
  })

  it("the labels decide until provisioning records the repository, then status.component does", () => {
    expect(componentOf(ir(labels))).toEqual({ name: "comp", application: "app" })
    expect(componentOf(ir(labels, { image: { url: "quay.io/org/ns/ir" } }))).toBeUndefined()
    expect(componentOf(ir(labels, readyHere))).toBeUndefined()
    expect(componentOf(ir(undefined, { ...readyHere, component: { name: "c", application: "a" } }))).toEqual({
      name: "c",
      application: "a"
    })
  })

  it("an object the original controller left ready, which this operator never wrote, is decided by its labels once", () => {
    expect(componentOf(ir(labels, ready))).toEqual({ name: "comp", application: "app" })
    expect(componentOf(ir(undefined, ready))).toBeUndefined()
  })

  it("names the repository <application>/<component> when spec.image.name is omitted", () => {
    expect(defaultImageName(ir(labels), { name: "comp", application: "app" })).toBe("app/comp")
    expect(defaultImageName(ir(undefined), undefined)).toBe("ir")
  })
})
