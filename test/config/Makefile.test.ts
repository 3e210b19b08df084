/** The Makefile's contract with people used to kubebuilder projects: the targets exist and run what they say. */
import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"

/** What `make <args>` would run, without running it (make -n), or the help it prints. */
const make = (...args: ReadonlyArray<string>): string => execFileSync("make", ["--no-print-directory", ...args], { encoding: "utf8" })

describe("Makefile", () => {
  it("make help lists every target with what it does", () => {
    // Without the colours it paints for a terminal.
    const help = make("help").replace(/\x1b\[[0-9;]*m/g, "")
    for (const target of ["help", "test", "run", "build", "docker-build", "install", "uninstall", "deploy", "undeploy"]) {
      expect(help).toMatch(new RegExp(`^  ${target} +\\S`, "m"))
    }
    expect(help).toContain("Deploy the operator (config/default) with image IMG")
  })

  it("the targets run the project's npm scripts and kubectl's kustomize", () => {
    expect(make("-n", "test")).toBe("npm test\n")
    expect(make("-n", "run")).toBe("npm start\n")
    expect(make("-n", "build")).toBe("npm run build\n")
    expect(make("-n", "install")).toBe("kubectl apply -k config/crd\n")
    expect(make("-n", "uninstall")).toBe("kubectl delete --ignore-not-found=false -k config/crd\n")
    expect(make("-n", "undeploy", "ignore-not-found=true")).toBe("kubectl delete --ignore-not-found=true -k config/default\n")
    expect(make("-n", "docker-build", "IMG=quay.io/team/operator:v1")).toBe("docker build -t quay.io/team/operator:v1 .\n")
  })

  it("make deploy applies config/default with the Deployment's image set to IMG", () => {
    const commands = make("-n", "deploy", "IMG=quay.io/team/operator:v1", "KUBECTL=kubectl --context prod")
    expect(commands).toContain("'  - ../../config/default'")
    expect(commands).toContain(`'        value: "quay.io/team/operator:v1"'`)
    expect(commands.trimEnd().split("\n").at(-1)).toBe("kubectl --context prod apply -k .local/deploy")
  })
})
