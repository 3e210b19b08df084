import { describe, expect, it } from "@effect/vitest"
import type { ImageRepository } from "../../src/domain/ImageRepository.ts"
import type { ServiceAccount } from "../../src/domain/ServiceAccount.ts"
import * as Links from "../../src/domain/ServiceAccountLinks.ts"

const sa = (secrets: ReadonlyArray<string>, imagePullSecrets: ReadonlyArray<string> = []): ServiceAccount => ({
  metadata: { name: "build-pipeline-comp", namespace: "ns" },
  secrets: secrets.map((name) => ({ name })),
  imagePullSecrets: imagePullSecrets.map((name) => ({ name }))
})
const names = (refs: Links.Links["secrets"]) => refs.map((r) => r.name)

describe("ServiceAccount links", () => {
  it("link adds the Secret once and keeps the others", () => {
    expect(names(Links.link(sa(["a"]), "push").secrets)).toEqual(["a", "push"])
    expect(names(Links.link(sa(["push", "a"]), "push").secrets)).toEqual(["push", "a"])
    expect(Links.changed(sa(["push"]), Links.link(sa(["push"]), "push"))).toBe(false)
  })

  it("verify links a missing Secret, removes duplicates and removes it from imagePullSecrets", () => {
    const fixed = Links.verify(sa(["push", "a", "push"], ["push", "b"]), "push", true)
    expect(names(fixed.secrets)).toEqual(["push", "a"])
    expect(names(fixed.imagePullSecrets)).toEqual(["b"])
    expect(names(Links.verify(sa(["a"]), "push", true).secrets)).toEqual(["a", "push"])
  })

  it("verify unlinks a Secret that no longer exists", () => {
    const fixed = Links.verify(sa(["push", "a"], ["push"]), "push", false)
    expect(names(fixed.secrets)).toEqual(["a"])
    expect(names(fixed.imagePullSecrets)).toEqual([])
  })

  it("unlink removes every reference", () => {
    const fixed = Links.unlink(sa(["push", "push", "a"], ["push"]), "push")
    expect(names(fixed.secrets)).toEqual(["a"])
    expect(names(fixed.imagePullSecrets)).toEqual([])
  })

  it("a Component's push Secret goes to its build pipeline account; a general-purpose one to none", () => {
    const ir = (labels?: Record<string, string>): ImageRepository => ({
      metadata: { name: "ir", namespace: "ns", ...(labels === undefined ? {} : { labels }) }
    })
    expect(Links.pushSecretTargets(ir({ "appstudio.redhat.com/component": "comp" }))).toEqual(["build-pipeline-comp"])
    expect(Links.pushSecretTargets(ir())).toEqual([])
  })
})
