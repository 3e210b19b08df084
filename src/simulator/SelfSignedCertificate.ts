import { generateKeyPairSync, randomBytes, sign } from "node:crypto"

/**
 * A throwaway TLS identity for the simulator's TLS mode (quay.io speaks HTTP/2 only over TLS, negotiated with ALPN):
 * an ECDSA P-256 key and a self-signed certificate for `localhost` and 127.0.0.1, made at start in memory with
 * Node's crypto and a few lines of DER, so tests need neither the openssl binary nor a checked-in key. A client
 * trusts it by adding `certificatePem` to its CA list.
 */
export interface SelfSignedCertificate {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n])
  const bytes: Array<number> = []
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

const tlv = (tag: number, ...content: ReadonlyArray<Buffer>): Buffer => {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}

const sequence = (...items: ReadonlyArray<Buffer>) => tlv(0x30, ...items)

const oid = (dotted: string): Buffer => {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number)
  const bytes = [40 * first + second]
  for (const arc of rest) {
    const groups: Array<number> = []
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift(value % 128)
      if (value < 128) break
    }
    bytes.push(...groups.map((group, i) => (i < groups.length - 1 ? group | 0x80 : group)))
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime, YYMMDDHHMMSSZ (valid for dates before 2050, all this needs). */
const utcTime = (date: Date): Buffer => tlv(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z", "ascii"))

const name = (commonName: string) => sequence(tlv(0x31, sequence(oid("2.5.4.3"), tlv(0x0c, Buffer.from(commonName, "utf8")))))

const ecdsaWithSha256 = sequence(oid("1.2.840.10045.4.3.2"))

const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`

export const make = (commonName = "quay-simulator"): SelfSignedCertificate => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f
  const now = Date.now()
  const subjectAltName = sequence(
    tlv(0x82, Buffer.from("localhost", "ascii")),
    tlv(0x87, Buffer.from([127, 0, 0, 1]))
  )
  const extensions = tlv(
    0xa3,
    sequence(
      sequence(oid("2.5.29.17"), tlv(0x04, subjectAltName)),
      // A CA of itself, so a client can take it as its own trust anchor.
      sequence(oid("2.5.29.19"), tlv(0x01, Buffer.from([0xff])), tlv(0x04, sequence(tlv(0x01, Buffer.from([0xff])))))
    )
  )
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ecdsaWithSha256,
    name(commonName),
    sequence(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 7 * 24 * 3600_000))),
    name(commonName),
    publicKey.export({ type: "spki", format: "der" }),
    extensions
  )
  const signature = sign("sha256", tbs, privateKey)
  const certificate = sequence(tbs, ecdsaWithSha256, tlv(0x03, Buffer.from([0]), signature))
  return {
    certificatePem: pem("CERTIFICATE", certificate),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  }
}
