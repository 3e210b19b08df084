/**
 * Where the original Go image-controller comes from: a checkout (`--original-src`, ORIGINAL_IMAGE_CONTROLLER_SRC)
 * or a built manager (`--original-bin`, ORIGINAL_IMAGE_CONTROLLER_BIN). scripts/original/build.sh builds it into the
 * project's cache outside the repository and gathers the CRDs it needs; neither given means no side-by-side columns.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Data, Effect, Option } from "effect"
import { projectRoot } from "../../src/cluster/ControlPlane.ts"

export interface OriginalController {
  /** The manager binary (`go build ./cmd/main.go`). */
  readonly binary: string
  /** Its ImageRepository CRDs (config/crd/bases) and application-api's Application and Component CRDs. */
  readonly crdDir: string
  /** Which build ran: the cache directory's name (original-<commit or source hash>). */
  readonly build: string
}

export class OriginalBuildError extends Data.TaggedError("OriginalBuildError")<{ readonly reason: string }> {
  override get message(): string {
    return `the original controller: ${this.reason}`
  }
}

export interface OriginalSource {
  readonly src?: string | undefined
  readonly bin?: string | undefined
}

/** What the environment names, flags winning. */
export const sourceOf = (flags: OriginalSource): OriginalSource => ({
  src: flags.src ?? (process.env["ORIGINAL_IMAGE_CONTROLLER_SRC"] || undefined),
  bin: flags.bin ?? (process.env["ORIGINAL_IMAGE_CONTROLLER_BIN"] || undefined)
})

export const skippedNote =
  "the original controller did not run: give its checkout (--original-src or ORIGINAL_IMAGE_CONTROLLER_SRC) or a " +
  "built manager (--original-bin or ORIGINAL_IMAGE_CONTROLLER_BIN) for the side-by-side columns"

/** Builds (the first time; minutes) or finds the original; none when no location is given. */
export const resolve = (
  source: OriginalSource,
  progress: (line: string) => void
): Effect.Effect<Option.Option<OriginalController>, OriginalBuildError> =>
  source.src === undefined && source.bin === undefined
    ? Effect.succeedNone
    : Effect.async<Option.Option<OriginalController>, OriginalBuildError>((resume) => {
      const args = [
        Path.join(projectRoot, "scripts", "original", "build.sh"),
        ...(source.src === undefined ? [] : ["--src", Path.resolve(source.src)]),
        ...(source.bin === undefined ? [] : ["--bin", Path.resolve(source.bin)])
      ]
      const child = spawn("bash", args, { stdio: ["ignore", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk
        for (const line of chunk.split("\n")) if (line !== "") progress(line)
      })
      child.on("error", (cause) => resume(Effect.fail(new OriginalBuildError({ reason: cause.message }))))
      child.on("close", (code) => {
        const dir = stdout.trim().split("\n").pop() ?? ""
        if (code !== 0 || dir === "") {
          return resume(Effect.fail(new OriginalBuildError({ reason: `build.sh failed (exit ${code}): ${stderr.trim()}` })))
        }
        const binary = Path.join(dir, "manager")
        const crdDir = Path.join(dir, "crds")
        if (!Fs.existsSync(binary)) return resume(Effect.fail(new OriginalBuildError({ reason: `no manager in ${dir}` })))
        resume(Effect.succeed(Option.some({ binary, crdDir, build: Path.basename(dir) })))
      })
      return Effect.sync(() => {
        child.kill("SIGTERM")
      })
    })
