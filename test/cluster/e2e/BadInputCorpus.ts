/**
 * Hostile and broken inputs for an ImageRepository, each with how it must end: refused by the apiserver (CRD
 * validation, object metadata, size), failed with a status message and a Warning Event, a damaged status reported
 * and put back, deleted while being edited, or (a valid name that looks hostile) confined to the tenant's own
 * prefix. Malformed legacy-annotation JSON is not here: the legacy Component annotation does not exist yet.
 */
import type { Neighbour } from "./Neighbour.ts"

export interface CorpusContext {
  /** The tenant's namespace, where every case is created. */
  readonly namespace: string
  readonly neighbour: Neighbour
  readonly registryHost: string
  readonly organization: string
  /** A ready object of the tenant's, provisioned before the corpus runs. */
  readonly good: string
}

export type Expected =
  | { readonly kind: "rejected" }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "damaged"; readonly field: string }
  | { readonly kind: "gone" }
  /** Created under the tenant's own prefix, as the original controller does with such names. */
  | { readonly kind: "confined" }

export interface BadInput {
  /** What is hostile about it, for the table. */
  readonly input: string
  readonly expected: Expected
  /** The whole object, given its name; else `{ metadata, spec }` below. */
  readonly body?: (ctx: CorpusContext, name: string) => unknown
  readonly spec?: unknown
  readonly metadata?: Readonly<Record<string, unknown>>
  /** Waited for before `then` runs. */
  readonly await?: "ready" | "failed"
  /** What the hostile user does next: kubectl invocations, run one after the other with no wait. */
  readonly then?: (ctx: CorpusContext, name: string) => ReadonlyArray<ReadonlyArray<string>>
}

const rejected = { kind: "rejected" } as const
const named = (name: unknown): BadInput => ({ input: `spec.image.name ${JSON.stringify(name).slice(0, 40)}`, spec: { image: { name } }, expected: rejected })
const typed = (input: string, spec: unknown): BadInput => ({ input, spec, expected: rejected })

const statusPatch = (ctx: CorpusContext, name: string, status: unknown) => [
  "patch", "imagerepository", name, "-n", ctx.namespace, "--subresource", "status", "--type", "merge", "-p",
  JSON.stringify({ status })
]
const specPatch = (ctx: CorpusContext, name: string, spec: unknown) => [
  "patch", "imagerepository", name, "-n", ctx.namespace, "--type", "merge", "-p", JSON.stringify({ spec })
]
const deleteNow = (ctx: CorpusContext, name: string) => ["delete", "imagerepository", name, "-n", ctx.namespace, "--wait=false"]

const tampered = (input: string, field: string, status: (ctx: CorpusContext, name: string) => unknown, more: (ctx: CorpusContext, name: string) => ReadonlyArray<ReadonlyArray<string>> = () => []): BadInput => ({
  input,
  expected: { kind: "damaged", field },
  await: "ready",
  then: (ctx, name) => [statusPatch(ctx, name, status(ctx, name)), ...more(ctx, name)]
})

const racing = (input: string, edit: unknown): BadInput => ({
  input,
  expected: { kind: "gone" },
  then: (ctx, name) => [specPatch(ctx, name, edit), deleteNow(ctx, name)]
})

const tooLong = "x".repeat(250)

export const corpus: ReadonlyArray<BadInput> = [
  // Names the CRD's pattern and length refuse.
  named("My-Image"),
  named("MYIMAGE"),
  named("a/../b"),
  named(".."),
  named("."),
  named("a/./b"),
  named("a//b"),
  named("/x"),
  named("/other-ns/x"),
  named("x/"),
  named("/"),
  named("-x"),
  named("_x"),
  named("a/-b"),
  named("x".repeat(256)),
  named("x".repeat(2048)),
  named("imägé"),
  named("名前"),
  named("x y"),
  named(" x"),
  named("x\t"),
  named("x\n"),
  named("x\u0007"),
  named("x\u001b[31m"),
  named("x;rm -rf /"),
  named("x%2e%2e/y"),
  named("x?y#z"),
  named("x:latest"),
  named("x@sha256:0123"),
  // Wrong types for every field.
  typed("spec.image.name 42", { image: { name: 42 } }),
  typed("spec.image.name true", { image: { name: true } }),
  typed("spec.image.name [\"x\"]", { image: { name: ["x"] } }),
  typed("spec.image.name {}", { image: { name: { a: 1 } } }),
  typed("spec.image.visibility 1", { image: { visibility: 1 } }),
  typed("spec.image.visibility PUBLIC", { image: { visibility: "PUBLIC" } }),
  typed("spec.image.visibility internal", { image: { visibility: "internal" } }),
  typed("spec.image.visibility \"\"", { image: { visibility: "" } }),
  typed("spec.image \"x\"", { image: "x" }),
  typed("spec.image []", { image: [] }),
  typed("spec.credentials \"yes\"", { credentials: "yes" }),
  typed("regenerate-token \"true\"", { credentials: { "regenerate-token": "true" } }),
  typed("regenerate-token 1", { credentials: { "regenerate-token": 1 } }),
  typed("verify-linking \"false\"", { credentials: { "verify-linking": "false" } }),
  typed("verify-linking {}", { credentials: { "verify-linking": {} } }),
  { input: "spec \"x\"", body: (ctx, name) => object(ctx, name, "x"), expected: rejected },
  { input: "spec 7", body: (ctx, name) => object(ctx, name, 7), expected: rejected },
  { input: "spec []", body: (ctx, name) => object(ctx, name, []), expected: rejected },
  // Object names the apiserver refuses.
  { input: "metadata.name Bad-Name", body: (ctx) => object(ctx, "Bad-Name"), expected: rejected },
  { input: "metadata.name of 254 chars", body: (ctx) => object(ctx, "n".repeat(254)), expected: rejected },
  { input: "metadata.name a..b", body: (ctx) => object(ctx, "a..b"), expected: rejected },
  { input: "metadata.name -a", body: (ctx) => object(ctx, "-a"), expected: rejected },
  // Accepted by the CRD, refused by the operator before anything exists in Quay.
  { input: "spec.image.name 250 chars (too long with the prefix)", spec: { image: { name: tooLong } }, expected: { kind: "failed", reason: "InvalidImageName" } },
  { input: "spec.image.name 255 chars", spec: { image: { name: "y".repeat(255) } }, expected: { kind: "failed", reason: "InvalidImageName" } },
  { input: "metadata.name of 253 chars, default name too long", body: (ctx) => object(ctx, "d".repeat(253)), expected: { kind: "failed", reason: "InvalidImageName" } },
  { input: "a second object claiming the tenant's repository", body: (ctx, name) => object(ctx, name, { image: { name: ctx.good } }), expected: { kind: "failed", reason: "RepositoryNameTaken" } },
  { input: "a second object claiming it with the namespace prefix", body: (ctx, name) => object(ctx, name, { image: { name: `${ctx.namespace}/${ctx.good}` } }), expected: { kind: "failed", reason: "RepositoryNameTaken" } },
  { input: "regenerate-token on a failed object", spec: { image: { name: tooLong } }, await: "failed", then: (ctx, name) => [specPatch(ctx, name, { credentials: { "regenerate-token": true } })], expected: { kind: "failed", reason: "InvalidImageName" } },
  { input: "verify-linking on a failed object", spec: { image: { name: tooLong } }, await: "failed", then: (ctx, name) => [specPatch(ctx, name, { credentials: { "verify-linking": true } })], expected: { kind: "failed", reason: "InvalidImageName" } },
  { input: "both one-shot flags at creation, invalid name", spec: { image: { name: tooLong }, credentials: { "regenerate-token": true, "verify-linking": true } }, expected: { kind: "failed", reason: "InvalidImageName" } },
  { input: "huge object (200 KiB annotation), invalid name", spec: { image: { name: tooLong } }, metadata: { annotations: { "example.com/blob": "b".repeat(200 * 1024) } }, expected: { kind: "failed", reason: "InvalidImageName" } },
  { input: "huge object (300 KiB of annotations)", metadata: { annotations: { "example.com/blob": "b".repeat(300 * 1024) } }, expected: rejected },
  { input: "huge object (3 MiB)", metadata: { annotations: { "example.com/blob": "a".repeat(3 * 1024 * 1024) } }, expected: rejected },
  { input: "a component label naming the neighbour's, invalid name", spec: { image: { name: tooLong } }, metadata: { labels: { "appstudio.redhat.com/component": "victim" } }, expected: { kind: "failed", reason: "InvalidImageName" } },
  // Valid names that look hostile: placed under the tenant's own prefix, as the original controller does.
  { input: "spec.image.name <neighbour>/victim", body: (ctx, name) => object(ctx, name, { image: { name: ctx.neighbour.repository } }), expected: { kind: "confined" } },
  { input: "spec.image.name <tenant>-evil/x (look-alike prefix)", body: (ctx, name) => object(ctx, name, { image: { name: `${ctx.namespace}-evil/x` } }), expected: { kind: "confined" } },
  // A status patched by whoever holds imagerepositories/status rights.
  tampered("status names the neighbour's robot, own Secret deleted", "push-robot-account", (ctx) => ({ credentials: { "push-robot-account": ctx.neighbour.robot } }), (ctx, name) => [["delete", "secret", `${name}-image-push`, "-n", ctx.namespace]]),
  tampered("status names the neighbour's robot, regenerate-token", "push-robot-account", (ctx) => ({ credentials: { "push-robot-account": ctx.neighbour.robot } }), (ctx, name) => [specPatch(ctx, name, { credentials: { "regenerate-token": true } })]),
  tampered("status names the neighbour's robot as pull robot", "pull-robot-account", (ctx) => ({ credentials: { "pull-robot-account": ctx.neighbour.robot } })),
  tampered("status URL of the neighbour's repository", "image.url", (ctx) => ({ image: { url: ctx.neighbour.imageUrl } }), (ctx, name) => [specPatch(ctx, name, { image: { visibility: "private" } })]),
  tampered("status URL climbing out with ..", "image.url", (ctx) => ({ image: { url: `${ctx.registryHost}/${ctx.organization}/${ctx.namespace}/../${ctx.neighbour.repository}` } })),
  tampered("status URL under a look-alike namespace", "image.url", (ctx) => ({ image: { url: `${ctx.registryHost}/${ctx.organization}/${ctx.namespace}-evil/x` } })),
  tampered("status URL of another organization", "image.url", (ctx, name) => ({ image: { url: `${ctx.registryHost}/other-org/${ctx.namespace}/${name}` } })),
  tampered("status URL of the tenant's other object, visibility changed", "image.url", (ctx) => ({ image: { url: `${ctx.registryHost}/${ctx.organization}/${ctx.namespace}/${ctx.good}` } }), (ctx, name) => [specPatch(ctx, name, { image: { visibility: "private" } })]),
  tampered("status names the other object's Secret", "push-secret", (ctx) => ({ credentials: { "push-secret": `${ctx.good}-image-push` } })),
  tampered("status names the neighbour's Secret", "push-secret", () => ({ credentials: { "push-secret": "victim-image-push" } })),
  // Edits racing with deletion.
  racing("regenerate-token while being deleted", { credentials: { "regenerate-token": true } }),
  racing("a rename while being deleted", { image: { name: "renamed" } }),
  racing("private while being deleted", { image: { visibility: "private" } }),
  { input: "deleted at once after creation", then: (ctx, name) => [deleteNow(ctx, name)], expected: { kind: "gone" } }
]

const object = (ctx: CorpusContext, name: string, spec?: unknown) => ({
  apiVersion: "appstudio.redhat.com/v1alpha1",
  kind: "ImageRepository",
  metadata: { name, namespace: ctx.namespace },
  ...(spec === undefined ? {} : { spec })
})

/** The object a case creates under `name`. */
export const objectOf = (input: BadInput, ctx: CorpusContext, name: string): unknown => {
  if (input.body !== undefined) return input.body(ctx, name)
  const base = object(ctx, name, input.spec)
  return { ...base, metadata: { ...base.metadata, ...input.metadata } }
}
