import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/cluster/**", "**/node_modules/**"]
        }
      },
      {
        // Tests against the real local control plane (etcd + kube-apiserver + kube-controller-manager).
        // The global setup starts it once per run, building the binaries first if needed: the first run on a
        // machine can take many minutes (vitest puts no time limit on global setup; the setup bounds itself).
        extends: true,
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts"],
          globalSetup: ["test/cluster/globalSetup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000
        }
      }
    ]
  }
})
