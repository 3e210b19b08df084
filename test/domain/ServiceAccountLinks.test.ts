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

  const labels = { "appstudio.redhat.com/component": "comp", "appstudio.redhat.com/application": "app" }
  const ir = (metadata: Partial<ImageRepository["metadata"]> = {}, status?: ImageRepository["status"]): ImageRepository => ({
    metadata: { name: "ir", namespace: "ns", ...metadata },
    ...(status === undefined ? {} : { status })
  })

  it("a component repository's push Secret goes to the pipeline account the template names; a general-purpose one to none", () => {
    expect(Links.pushSecretTargets(ir({ labels }), "appstudio-pipeline")).toEqual(["appstudio-pipeline"])
    expect(Links.pushSecretTargets(ir({ labels }), "build-pipeline-{component}")).toEqual(["build-pipeline-comp"])
    expect(Links.pushSecretTargets(ir({ labels }), "{application}-{component}-builder")).toEqual(["app-comp-builder"])
    expect(Links.pushSecretTargets(ir(), "appstudio-pipeline")).toEqual([])
    // Both labels make a component repository: one alone does not.
    expect(Links.pushSecretTargets(ir({ labels: { "appstudio.redhat.com/component": "comp" } }), "appstudio-pipeline")).toEqual([])
  })

  it("follows the decision recorded at provisioning, never the labels after it", () => {
    const provisioned = { image: { url: "quay.io/org/ns/ir" } }
    // Labels added after provisioning: still general-purpose.
    expect(Links.pushSecretTargets(ir({ labels }, provisioned), "appstudio-pipeline")).toEqual([])
    // Labels removed or changed after provisioning: still the recorded Component's.
    const recorded = { ...provisioned, component: { name: "comp", application: "app" } }
    expect(Links.pushSecretTargets(ir({}, recorded), "build-pipeline-{component}")).toEqual(["build-pipeline-comp"])
    expect(
      Links.pushSecretTargets(ir({ labels: { ...labels, "appstudio.redhat.com/component": "other" } }, recorded), "build-pipeline-{component}")
    ).toEqual(["build-pipeline-comp"])
  })

  it("names no account a ServiceAccount cannot have, and says what is wrong with a template", () => {
    const odd = { "appstudio.redhat.com/component": "Comp_1", "appstudio.redhat.com/application": "app" }
    expect(Links.pushSecretTargets(ir({ labels: odd }), "build-pipeline-{component}")).toEqual([])
    expect(Links.templateProblem("appstudio-pipeline")).toBeUndefined()
    expect(Links.templateProblem("build-pipeline-{component}")).toBeUndefined()
    expect(Links.templateProblem("build-{components}")).toContain("unknown placeholder {components}")
    expect(Links.templateProblem("Build_{component}")).toContain("does not make a ServiceAccount name")
  })

  it("an account awaits a link when it should list the push Secret and does not", () => {
    const component = ir({ labels })
    const account = (secrets: ReadonlyArray<string>): ServiceAccount => ({
      metadata: { name: "appstudio-pipeline", namespace: "ns" },
      secrets: secrets.map((name) => ({ name }))
    })
    expect(Links.awaitsLink(component, account([]), "appstudio-pipeline")).toBe(true)
    expect(Links.awaitsLink(component, account(["ir-image-push"]), "appstudio-pipeline")).toBe(false)
    expect(Links.awaitsLink(component, account([]), "build-pipeline-{component}")).toBe(false)
    expect(Links.awaitsLink(ir(), account([]), "appstudio-pipeline")).toBe(false)
  })

  it("verifyReferences never adds the Secret, keeps each reference once, and drops them all when it is gone", () => {
    const kept = Links.verifyReferences(sa(["pull", "a", "pull"], ["pull", "pull", "b"]), "pull", true)
    expect(names(kept.secrets)).toEqual(["pull", "a"])
    expect(names(kept.imagePullSecrets)).toEqual(["pull", "b"])
    expect(names(Links.verifyReferences(sa(["a"]), "pull", true).secrets)).toEqual(["a"])
    const gone = Links.verifyReferences(sa(["pull", "a"], ["pull"]), "pull", false)
    expect([names(gone.secrets), names(gone.imagePullSecrets)]).toEqual([["a"], []])
  })
})
