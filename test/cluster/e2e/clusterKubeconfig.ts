/**
 * Which cluster the end-to-end helpers talk to: under vitest, the one the global setup brought up
 * (`inject("kubeconfig")`); in a plain process (`npm run soak`), the one KUBECONFIG names. vitest is imported only
 * under vitest: importing it anywhere else throws.
 */
const injected = process.env["VITEST"] === undefined ? undefined : (await import("vitest")).inject

export const kubeconfigPath = (): string => {
  if (injected !== undefined) return injected("kubeconfig")
  const path = process.env["KUBECONFIG"]
  if (path === undefined || path === "") throw new Error("KUBECONFIG must name the cluster's kubeconfig outside vitest")
  return path
}
