import { describe, expect, it } from "vitest"
import { deleteImageRepoAnnotation, deletesRepository, type Component } from "../../src/domain/Component.ts"
import {
  generateRequest,
  imageAnswer,
  isGenerated,
  renderImageAnswer
} from "../../src/domain/ComponentImageAnnotations.ts"
import { componentRepositoryName } from "../../src/domain/RepositoryName.ts"
import { Either } from "effect"

const generate = (value: string) => ({ "image.redhat.com/generate": value })
const expected = `expected '{"visibility": "public"}' or '{"visibility": "private"}'`

describe("image.redhat.com/generate", () => {
  it("asks for public or private in JSON, as the spec writes it", () => {
    expect(generateRequest(generate('{"visibility": "public"}'))).toEqual({ _tag: "Generate", visibility: "public" })
    expect(generateRequest(generate('{"visibility":"private"}'))).toEqual({ _tag: "Generate", visibility: "private" })
    expect(generateRequest(generate(' {"visibility": "private", "note": 1} '))).toEqual({ _tag: "Generate", visibility: "private" })
  })

  it("the bare true counts as public; false and no annotation ask for nothing", () => {
    expect(generateRequest(generate("true"))).toEqual({ _tag: "Generate", visibility: "public" })
    expect(generateRequest(generate("false"))).toEqual({ _tag: "None" })
    expect(generateRequest({})).toEqual({ _tag: "None" })
    expect(generateRequest(undefined)).toEqual({ _tag: "None" })
  })

  it("anything else is refused with a message that says what is expected", () => {
    expect(generateRequest(generate("yes"))).toEqual({
      _tag: "Invalid",
      message: `invalid JSON in image.redhat.com/generate annotation: ${expected}`
    })
    expect(generateRequest(generate("[]"))).toEqual({
      _tag: "Invalid",
      message: `invalid JSON in image.redhat.com/generate annotation: ${expected}`
    })
    expect(generateRequest(generate('{"visibility": "Public"}'))).toEqual({
      _tag: "Invalid",
      message: `invalid value: Public in visibility field in image.redhat.com/generate annotation: ${expected}`
    })
    expect(generateRequest(generate('{"visibility": null}'))).toEqual({
      _tag: "Invalid",
      message: `invalid value: null in visibility field in image.redhat.com/generate annotation: ${expected}`
    })
    expect(generateRequest(generate('{"Visibility": "public"}'))).toEqual({
      _tag: "Invalid",
      message: `missing visibility field in image.redhat.com/generate annotation: ${expected}`
    })
  })
})

describe("image.redhat.com/image", () => {
  it("is compact JSON in the spec's field order, empty fields left out", () => {
    expect(
      renderImageAnswer({ secret: "billing", visibility: "public", image: "quay.io/redhat-user-workloads/image-controller-system/city-transit/billing" })
    ).toBe('{"image":"quay.io/redhat-user-workloads/image-controller-system/city-transit/billing","visibility":"public","secret":"billing"}')
    expect(renderImageAnswer({ message: "refused", image: "" })).toBe('{"message":"refused"}')
  })

  it("reads back what it wrote; an unreadable one reads as nothing generated", () => {
    const answer = { image: "quay.io/o/ns/app/c", visibility: "private", secret: "c", message: "m" }
    expect(imageAnswer({ "image.redhat.com/image": renderImageAnswer(answer) })).toEqual(answer)
    expect(imageAnswer({ "image.redhat.com/image": "not json" })).toEqual({})
    expect(imageAnswer({ "image.redhat.com/image": '{"image": 3}' })).toEqual({})
    expect(imageAnswer(undefined)).toEqual({})
  })

  it("is generated when it names an image and a Secret (the original's test)", () => {
    expect(isGenerated({ image: "quay.io/o/ns/app/c", secret: "c" })).toBe(true)
    expect(isGenerated({ image: "quay.io/o/ns/app/c" })).toBe(false)
    expect(isGenerated({ message: "refused" })).toBe(false)
  })
})

describe("the legacy flow's names", () => {
  it("the repository is <namespace>/<application>/<componentName>, exactly", () => {
    expect(componentRepositoryName("image-controller-system", "city-transit", "billing")).toEqual(
      Either.right("image-controller-system/city-transit/billing")
    )
    // An application named like its namespace is a path segment of its own.
    expect(componentRepositoryName("ns", "ns", "c")).toEqual(Either.right("ns/ns/c"))
    expect(Either.isLeft(componentRepositoryName("ns", "App", "c"))).toBe(true)
    expect(Either.isLeft(componentRepositoryName("ns", "..", "c"))).toBe(true)
  })

  it("image.redhat.com/delete-image-repo counts when present, unless it says false", () => {
    const component = (annotations: Record<string, string>): Component => ({ metadata: { name: "c", annotations } })
    expect(deletesRepository(component({ [deleteImageRepoAnnotation]: "" }))).toBe(true)
    expect(deletesRepository(component({ [deleteImageRepoAnnotation]: "true" }))).toBe(true)
    expect(deletesRepository(component({ [deleteImageRepoAnnotation]: "False" }))).toBe(false)
    expect(deletesRepository(component({}))).toBe(false)
  })
})
