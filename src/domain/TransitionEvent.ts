import type { EventInput } from "./Event.ts"

/**
 * The Normal Events of the operator's transitions, all in one place so their reasons and words stay consistent:
 * what `kubectl describe` and `kubectl get events` show next to the Warnings. Reasons are UpperCamelCase as
 * controllers' are; notes say what happened and name robots, Secrets and repositories, never a token.
 * Each is recorded once, on the pass that made the change (a converged object records none).
 */

const normal = (reason: string, action: string, note: string): EventInput => ({ type: "Normal", reason, action, note })

const list = (names: ReadonlyArray<string>): string => names.join(", ")

/** An ImageRepository's repository, robots and Secrets exist and its status is ready (or they were re-created). */
export const provisioned = (
  imageUrl: string,
  visibility: string,
  robots: ReadonlyArray<string>,
  secrets: ReadonlyArray<string>,
  again: boolean
): EventInput =>
  again
    ? normal(
      "Reprovisioned",
      "Provision",
      `Re-created ${visibility} image repository ${imageUrl}, deleted outside the operator; robot accounts ${
        list(robots)
      }, Secrets ${list(secrets)}`
    )
    : normal(
      "Provisioned",
      "Provision",
      `Provisioned ${visibility} image repository ${imageUrl} with robot accounts ${list(robots)} and Secrets ${
        list(secrets)
      }`
    )

export const visibilityChanged = (imageUrl: string, from: string, to: string): EventInput =>
  normal("VisibilityChanged", "ChangeVisibility", `Changed visibility of ${imageUrl} from ${from} to ${to}`)

export const tokenRotated = (robots: ReadonlyArray<string>, secrets: ReadonlyArray<string>): EventInput =>
  normal(
    "TokenRotated",
    "RegenerateToken",
    `Regenerated the tokens of robot accounts ${list(robots)} and rewrote Secrets ${list(secrets)}`
  )

export const secretRestored = (secret: string, robot: string): EventInput =>
  normal("SecretRestored", "RestoreSecret", `Secret ${secret} was missing or damaged: rewritten for robot account ${robot}`)

/** verify-linking found links to fix (a missing, duplicate or dangling reference) in these ServiceAccounts. */
export const linksFixed = (secrets: ReadonlyArray<string>, serviceAccounts: ReadonlyArray<string>): EventInput =>
  normal("LinksFixed", "VerifyLinking", `Fixed the links of Secrets ${list(secrets)} in ServiceAccounts ${list(serviceAccounts)}`)

/** verify-linking found every link right. */
export const linksVerified = (secrets: ReadonlyArray<string>): EventInput =>
  normal("LinksVerified", "VerifyLinking", `Links of Secrets ${list(secrets)} verified: nothing to fix`)

/** The push Secret was listed in a ServiceAccount that did not exist, or did not list it, when it was provisioned. */
export const secretLinked = (secret: string, serviceAccount: string): EventInput =>
  normal("SecretLinked", "LinkSecret", `Linked Secret ${secret} to ServiceAccount ${serviceAccount}`)

/**
 * An ImageRepository's deletion removed what Quay held for it and released the finalizer. `imageUrl` is what status
 * recorded; none for an object that failed before its repository existed.
 */
export const cleanedUp = (imageUrl: string | undefined, kept: boolean): EventInput => {
  const note = imageUrl === undefined
    ? "No image repository was recorded for this object"
    : kept
    ? `Deleted the robot accounts from Quay; repository ${imageUrl} kept, as annotated`
    : `Deleted the robot accounts and repository ${imageUrl} from Quay (a repository another ImageRepository uses is kept)`
  return normal("CleanedUp", "Cleanup", `${note}; finalizer released`)
}

/** A legacy Component's request answered: repository, push and pull robots, push Secret. */
export const imageGenerated = (imageUrl: string, visibility: string, secret: string): EventInput =>
  normal(
    "ImageGenerated",
    "GenerateImage",
    `Generated ${visibility} image repository ${imageUrl} with push and pull robot accounts and Secret ${secret}`
  )

/** A legacy Component's deletion released it: robots deleted, the repository (when it had a valid name) deleted or kept. */
export const componentReleased = (imageUrl: string | undefined, deleted: boolean): EventInput => {
  const repository = imageUrl === undefined ? "" : deleted ? ` and repository ${imageUrl}` : ""
  const kept = imageUrl !== undefined && !deleted ? `; repository ${imageUrl} kept (no delete-image-repo annotation)` : ""
  return normal(
    "CleanedUp",
    "Cleanup",
    `Deleted the push and pull robot accounts${repository} from Quay${kept}; finalizer released`
  )
}
