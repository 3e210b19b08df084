/**
 * go-containerregistry's `crane` against the simulator's registry, with credentials taken from a
 * `.dockerconfigjson` the way the kubelet takes them: the `auths` entry whose key is the longest path prefix of
 * the image (the operator writes path-scoped keys, `<host>/<org>/<ns>/<name>`; crane itself looks up bare hosts).
 */
import { execFile, execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { inject } from "vitest"

export interface CraneResult {
  readonly ok: boolean
  readonly output: string
}

const craneBinary = (): string => Path.join(inject("registryBinaries"), "crane")

/** The `auth` value the kubelet would use for `image` (`host/path`, no tag), if any entry matches. */
export const authFor = (dockerConfigJson: string, image: string): string | undefined => {
  const auths = (JSON.parse(dockerConfigJson) as { auths: Record<string, { auth?: string }> }).auths
  const matching = Object.keys(auths)
    .filter((key) => image === key || image.startsWith(`${key}/`))
    .sort((a, b) => b.length - a.length)
  const key = matching[0]
  return key === undefined ? undefined : auths[key]?.auth
}

/** A DOCKER_CONFIG directory holding `auth` (base64 `user:token`) for the image's host, or none at all. */
const dockerConfigDir = (image: string, auth: string | undefined): string => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "crane-auth-"))
  if (auth !== undefined) {
    const host = image.split("/")[0] ?? ""
    Fs.writeFileSync(Path.join(dir, "config.json"), JSON.stringify({ auths: { [host]: { auth } } }))
  }
  return dir
}

const run = (args: ReadonlyArray<string>, dockerConfig: string): Promise<CraneResult> =>
  new Promise((resolve) => {
    execFile(
      craneBinary(),
      ["--insecure", ...args],
      { env: { PATH: process.env["PATH"] ?? "", HOME: dockerConfig, DOCKER_CONFIG: dockerConfig }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}` })
    )
  })

/** A one-layer image of one small file, made fresh (a different digest each time). */
const layerTar = (dir: string): string => {
  const content = Path.join(dir, "content")
  Fs.mkdirSync(content)
  Fs.writeFileSync(Path.join(content, "hello.txt"), `hello from ${Path.basename(dir)} at ${Date.now()}\n`)
  const tar = Path.join(dir, "layer.tar")
  // tar is part of every base system; a layer only has to be a tar stream.
  execFileSync("tar", ["-C", content, "-cf", tar, "hello.txt"])
  return tar
}

export const push = (image: string, auth: string | undefined): Promise<CraneResult> => {
  const dir = dockerConfigDir(image, auth)
  return run(["append", "-f", layerTar(dir), "-t", `${image}:latest`], dir).finally(() =>
    Fs.rmSync(dir, { recursive: true, force: true })
  )
}

export const pull = (image: string, auth: string | undefined): Promise<CraneResult> => {
  const dir = dockerConfigDir(image, auth)
  return run(["pull", `${image}:latest`, Path.join(dir, "image.tar")], dir).finally(() =>
    Fs.rmSync(dir, { recursive: true, force: true })
  )
}
