/**
 * The operator's own identity on the test cluster: config/rbac applied, its ServiceAccount, and a kubeconfig
 * holding a token of that ServiceAccount from the TokenRequest API, so the operator runs with exactly the
 * permissions the manifests grant, not the admin's.
 */
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { projectRoot } from "../../../src/cluster/ControlPlane.ts"
import { kubeconfigPath } from "./clusterKubeconfig.ts"
import { kubectl } from "./kubectl.ts"

export const operatorNamespace = "image-controller-system"
export const operatorServiceAccount = "image-repository-operator"
export const operatorUser = `system:serviceaccount:${operatorNamespace}:${operatorServiceAccount}`

/** Applies config/rbac (idempotent: every run on a cluster applies the same objects) and makes the ServiceAccount. */
export const installRbac = async (): Promise<void> => {
  await kubectl(["apply", "-f", "-"], `apiVersion: v1
kind: Namespace
metadata:
  name: ${operatorNamespace}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${operatorServiceAccount}
  namespace: ${operatorNamespace}
`)
  await kubectl(["apply", "-k", Path.join(projectRoot, "config", "rbac")])
}

interface KubeconfigJson {
  readonly clusters: ReadonlyArray<{ readonly cluster: { readonly server: string; readonly "certificate-authority-data": string } }>
}

/** A kubeconfig file (mode 600, under .local/, never committed) that authenticates as the operator's ServiceAccount. */
export const operatorKubeconfig = async (): Promise<string> => {
  const admin = JSON.parse(await kubectl(["config", "view", "--raw", "--minify", "-o", "json"])) as KubeconfigJson
  const cluster = admin.clusters[0]?.cluster
  if (cluster === undefined) throw new Error("the admin kubeconfig names no cluster")
  const token = (await kubectl(["create", "token", operatorServiceAccount, "-n", operatorNamespace, "--duration", "2h"])).trim()
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster }],
    users: [{ name: operatorServiceAccount, user: { token } }],
    contexts: [{ name: "operator", context: { cluster: "test", user: operatorServiceAccount } }],
    "current-context": "operator"
  }
  const dir = Path.join(projectRoot, ".local", "e2e")
  Fs.mkdirSync(dir, { recursive: true })
  const file = Path.join(dir, `operator-kubeconfig-${randomBytes(4).toString("hex")}.json`)
  Fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 })
  return file
}

/**
 * `kubectl auth can-i` for the operator's ServiceAccount, asked by the admin through impersonation. A subresource
 * (`imagerepositories.appstudio.redhat.com/status`) goes in `--subresource`: kubectl drops it from the resource
 * argument and would answer for the resource itself.
 */
export const operatorCan = (verb: string, resource: string, namespace?: string): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const [plain = resource, subresource] = resource.split("/")
    const args = [
      "--kubeconfig", kubeconfigPath(), "auth", "can-i", verb, plain,
      ...(subresource === undefined ? [] : ["--subresource", subresource]),
      "--as", operatorUser
    ]
    // can-i answers on stdout and exits 1 for "no".
    execFile("kubectl", [...args, ...(namespace === undefined ? [] : ["-n", namespace])], (error, stdout, stderr) => {
      const answer = stdout.trim()
      if (answer === "yes" || answer === "no") resolve(answer === "yes")
      else reject(new Error(`kubectl auth can-i ${verb} ${resource}: ${error === null ? answer : stderr}`))
    })
  })
