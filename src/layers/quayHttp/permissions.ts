import { type QuayError, QuayUnauthorized } from "../../services/QuayError.ts"
import type { Quay } from "../../services/Quay.ts"

/**
 * The permission each operation needs, by the name Quay's UI shows when an OAuth token is generated
 * (`auth/scopes.py`): "Create Repositories" (repo:create), "Administer Repositories" (repo:admin, which implies
 * read and write) and "Administer Organization" (org:admin, which robots need).
 */
export type QuayOperation = Exclude<keyof Quay, "organization" | "registryHost">

export const permissionNeeded: Readonly<Record<QuayOperation, string>> = {
  getRepository: "Administer Repositories",
  createRepository: "Create Repositories",
  changeVisibility: "Administer Repositories",
  setRepositoryDescription: "Administer Repositories",
  deleteRepository: "Administer Repositories",
  listRepositories: "Administer Repositories",
  getRobot: "Administer Organization",
  createRobot: "Administer Organization",
  regenerateRobotToken: "Administer Organization",
  deleteRobot: "Administer Organization",
  listRobots: "Administer Organization",
  setPermission: "Administer Repositories",
  deletePermission: "Administer Repositories",
  listPermissions: "Administer Repositories",
  listNotifications: "Administer Repositories",
  createNotification: "Administer Repositories",
  deleteNotification: "Administer Repositories",
  verifyAccess: "Administer Organization"
}

/** A 403 `insufficient_scope` names the permission the refused operation needs; anything else is unchanged. */
export const namePermission = (operation: QuayOperation) => (error: QuayError): QuayError =>
  error._tag === "QuayUnauthorized" && error.insufficientScope === true && error.missingPermissions === undefined
    ? new QuayUnauthorized({
      status: error.status ?? 403,
      detail: error.detail,
      insufficientScope: true,
      missingPermissions: [permissionNeeded[operation]]
    })
    : error
