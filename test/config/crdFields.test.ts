/**
 * Nothing of the original controller's ImageRepository is lost across the CRD switch: a structural schema prunes
 * every field it does not declare from every stored object at once, so each field path of the original's CRDs
 * (both API groups) must be declared by ours. The original's field paths are written down here from its
 * documented shapes; test/fixtures/original holds its CRDs built from the same shapes (the migration test
 * installs them), and this test also checks that the two agree.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { load } from "js-yaml"
import { describe, expect, it } from "vitest"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"

/** Every field path of the original's spec and status but the notifications (listed apart: one feature). */
export const originalFieldPaths = [
  "spec",
  "spec.image",
  "spec.image.name",
  "spec.image.visibility",
  "spec.credentials",
  "spec.credentials.regenerate-token",
  "spec.credentials.regenerate-namespace-pull-token",
  "spec.credentials.verify-linking",
  "status",
  "status.state",
  "status.message",
  "status.image",
  "status.image.url",
  "status.image.visibility",
  "status.credentials",
  "status.credentials.generationTimestamp",
  "status.credentials.push-secret",
  "status.credentials.pull-secret",
  "status.credentials.push-robot-account",
  "status.credentials.pull-robot-account"
] as const

/** The original's notification fields. */
export const notificationFieldPaths = [
  "spec.notifications",
  "spec.notifications[].title",
  "spec.notifications[].event",
  "spec.notifications[].method",
  "spec.notifications[].config",
  "spec.notifications[].config.email",
  "spec.notifications[].config.url",
  "status.notifications",
  "status.notifications[].title",
  "status.notifications[].uuid"
] as const

interface SchemaNode {
  readonly type?: string
  readonly properties?: Readonly<Record<string, SchemaNode>>
  readonly items?: SchemaNode
  readonly maxLength?: number
  readonly "x-kubernetes-validations"?: ReadonlyArray<{ readonly rule: string; readonly message?: string }>
}

interface Crd {
  readonly metadata: { readonly name: string }
  readonly spec: {
    readonly group: string
    readonly versions: ReadonlyArray<{ readonly name: string; readonly schema: { readonly openAPIV3Schema: SchemaNode } }>
  }
}

const readCrd = (...path: ReadonlyArray<string>): Crd => load(Fs.readFileSync(Path.join(projectRoot, ...path), "utf8")) as Crd

const rootOf = (crd: Crd): SchemaNode => {
  const version = crd.spec.versions.find((v) => v.name === "v1alpha1")
  if (version === undefined) throw new Error(`${crd.metadata.name} serves no v1alpha1`)
  return version.schema.openAPIV3Schema
}

/** Every declared field path under spec and status; an array's items are `field[]`. */
const fieldPaths = (node: SchemaNode, prefix = ""): ReadonlyArray<string> =>
  Object.entries(node.properties ?? {}).flatMap(([name, child]) => {
    const path = prefix === "" ? name : `${prefix}.${name}`
    const below = child.items === undefined ? fieldPaths(child, path) : fieldPaths(child.items, `${path}[]`)
    return [path, ...below]
  }).filter((path) => path.startsWith("spec") || path.startsWith("status"))

const nodeAt = (root: SchemaNode, path: string): SchemaNode | undefined =>
  path.split(".").reduce<SchemaNode | undefined>((node, name) => node?.properties?.[name], root)

const groups = ["appstudio.redhat.com", "konflux-ci.dev"] as const
const ours = (group: string) => readCrd("config", "crd", `${group}_imagerepositories.yaml`)
const original = (group: string) => readCrd("test", "fixtures", "original", `${group}_imagerepositories.yaml`)

describe("the original controller's CRD fields", () => {
  it.each(groups)("the fixture of the original's %s CRD declares exactly the documented field paths", (group) => {
    expect([...fieldPaths(rootOf(original(group)))].sort()).toEqual([...originalFieldPaths, ...notificationFieldPaths].sort())
  })

  it.each(groups)("our %s CRD declares every field of the original's, so none is pruned", (group) => {
    const declared = new Set(fieldPaths(rootOf(ours(group))))
    expect([...originalFieldPaths, ...notificationFieldPaths].filter((path) => !declared.has(path))).toEqual([])
  })

  it("a check that would miss a lost field fails on one: the fixture without spec.credentials.verify-linking", () => {
    const root = rootOf(original("appstudio.redhat.com"))
    const spec = root.properties?.["spec"]
    const credentials = spec?.properties?.["credentials"]
    const { "verify-linking": _dropped, ...rest } = credentials?.properties ?? {}
    const pruned: SchemaNode = {
      ...root,
      properties: { ...root.properties, spec: { ...spec, properties: { ...spec?.properties, credentials: { ...credentials, properties: rest } } } }
    }
    const declared = new Set(fieldPaths(pruned))
    expect(originalFieldPaths.filter((path) => !declared.has(path))).toEqual(["spec.credentials.verify-linking"])
  })
})

describe("the two API groups' CRDs", () => {
  it("have the same schema but for spec.image.name's length and immutability rule", () => {
    const withoutDescriptions = (node: unknown): unknown =>
      JSON.parse(JSON.stringify(node), (key, value: unknown) => (key === "description" ? undefined : value))
    const split = (root: SchemaNode) => {
      const copy = withoutDescriptions(root) as { properties: { spec: { properties: { image: { properties: Record<string, SchemaNode> } } } } }
      const image = copy.properties.spec.properties.image.properties
      const { name, ...rest } = image
      copy.properties.spec.properties.image.properties = rest
      return { rest: copy, name: { type: name?.type, pattern: (name as { pattern?: string } | undefined)?.pattern } }
    }
    const appstudio = split(rootOf(ours("appstudio.redhat.com")))
    const konflux = split(rootOf(ours("konflux-ci.dev")))
    expect(konflux.rest).toEqual(appstudio.rest)
    expect(konflux.name).toEqual(appstudio.name)
    expect(konflux.name.pattern).toBe("^[a-z0-9][.a-z0-9_-]*(/[a-z0-9][.a-z0-9_-]*)*$")
  })

  it("konflux-ci.dev refuses a name change at admission, as the original's CEL rule does, and allows 2048 characters", () => {
    const name = nodeAt(rootOf(ours("konflux-ci.dev")), "spec.image.name")
    const originalName = nodeAt(rootOf(original("konflux-ci.dev")), "spec.image.name")
    expect(name?.maxLength).toBe(2048)
    expect(name?.["x-kubernetes-validations"]).toEqual(originalName?.["x-kubernetes-validations"])
    expect(ours("konflux-ci.dev").spec.group).toBe("konflux-ci.dev")
    expect(ours("konflux-ci.dev").metadata.name).toBe("imagerepositories.konflux-ci.dev")
  })

  it("config/crd installs both", () => {
    const kustomization = load(Fs.readFileSync(Path.join(projectRoot, "config", "crd", "kustomization.yaml"), "utf8")) as {
      readonly resources: ReadonlyArray<string>
    }
    expect(kustomization.resources).toEqual(expect.arrayContaining(groups.map((g) => `${g}_imagerepositories.yaml`)))
  })
})
