import { Option, Redacted, Schema } from "effect"

const DockerConfigJson = Schema.parseJson(
  Schema.Struct({
    auths: Schema.Record({ key: Schema.String, value: Schema.Struct({ auth: Schema.optional(Schema.String) }) })
  })
)

const decodeDockerConfig = Schema.decodeUnknownOption(DockerConfigJson)

/**
 * The `.dockerconfigjson` document for one image path. Keyed by the image path, not the bare host, as the
 * original controller does: kubelet, CRI-O and podman match such keys by longest prefix.
 */
export const render = (imagePath: string, username: string, token: Redacted.Redacted<string>): string =>
  JSON.stringify({
    auths: { [imagePath]: { auth: Buffer.from(`${username}:${Redacted.value(token)}`).toString("base64") } }
  })

export interface Credentials {
  readonly username: string
  readonly token: Redacted.Redacted<string>
}

/** The credentials a `.dockerconfigjson` document holds for an image path, if it holds any. */
export const credentialsFor = (document: string, imagePath: string): Option.Option<Credentials> =>
  decodeDockerConfig(document).pipe(
    Option.flatMap((config) => Option.fromNullable(config.auths[imagePath]?.auth)),
    Option.flatMap((auth) => {
      const plain = Buffer.from(auth, "base64").toString("utf8")
      const colon = plain.indexOf(":")
      return colon <= 0
        ? Option.none()
        : Option.some({ username: plain.slice(0, colon), token: Redacted.make(plain.slice(colon + 1)) })
    })
  )
