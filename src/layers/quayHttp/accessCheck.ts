import { Effect } from "effect"
import { type QuayError, QuayUnauthorized } from "../../services/QuayError.ts"
import { paths } from "./paths.ts"
import type { QuayReply } from "./reply.ts"
import { unexpected } from "./reply.ts"
import type { QuayRequest } from "./request.ts"

/**
 * Whether the operator's token reaches what the operator does, without changing anything in Quay. Three requests
 * that Quay refuses with 403 `insufficient_scope` exactly when a permission is missing, and otherwise answers
 * without effect:
 * - creating a public repository whose name Quay's name check refuses (Quay checks the permission first, then
 *   existence, then the name: 400 "Invalid repository name" means creating is allowed) → "Create Repositories";
 * - reading a robot of the organization (400 "Could not find robot" when absent) → "Administer Organization";
 * - listing the user permissions of a repository (an absent one has none) → "Administer Repositories".
 * Every missing permission is named at once, so one new token fixes them all.
 */
const probeName = "image-repository-operator-access-check"

interface Probe {
  readonly permission: string
  readonly request: QuayRequest
  readonly allowed: (reply: QuayReply) => boolean
}

const probes = (organization: string): ReadonlyArray<Probe> => [
  {
    permission: "Create Repositories",
    request: {
      method: "POST",
      path: paths.repositories,
      body: { namespace: organization, repository: `-${probeName}`, visibility: "public", description: "" }
    },
    allowed: (reply) => reply.status === 400
  },
  {
    permission: "Administer Organization",
    request: { method: "GET", path: paths.robot(organization, probeName) },
    allowed: (reply) => reply.status === 400 || reply.status === 200
  },
  {
    permission: "Administer Repositories",
    request: { method: "GET", path: paths.userPermissions(organization, `${probeName}/probe`) },
    allowed: (reply) => reply.status === 200
  }
]

export const verifyAccess = (
  organization: string,
  send: (request: QuayRequest) => Effect.Effect<QuayReply, QuayError>
): Effect.Effect<void, QuayError> =>
  Effect.gen(function*() {
    const missing: Array<string> = []
    let refusal: QuayUnauthorized | undefined
    for (const probe of probes(organization)) {
      const reply = yield* send(probe.request).pipe(
        Effect.map((reply) => ({ _tag: "Reply" as const, reply })),
        Effect.catchIf(
          (error): error is QuayUnauthorized => error._tag === "QuayUnauthorized" && error.insufficientScope === true,
          (error) => Effect.succeed({ _tag: "Refused" as const, error })
        )
      )
      if (reply._tag === "Refused") {
        missing.push(probe.permission)
        refusal = reply.error
      } else if (!probe.allowed(reply.reply)) {
        return yield* Effect.fail(unexpected(reply.reply, `organization '${organization}'`))
      }
    }
    if (refusal !== undefined) {
      return yield* Effect.fail(
        new QuayUnauthorized({ status: 403, detail: refusal.detail, insufficientScope: true, missingPermissions: missing })
      )
    }
  })
