/**
 * Quay's URL paths. Repository names keep their `/` (Quay splits `{namespace}/{name}` on the first slash, the
 * rest is the nested name) and robot user names keep their `+` (`org+short`): both are sent literally.
 * Everything else in a segment is percent-encoded, so no name can reach a different endpoint.
 */
const segment = (text: string): string => encodeURIComponent(text).replace(/%2B/gi, "+")

const repositoryPath = (organization: string, repository: string): string =>
  `/repository/${segment(organization)}/${repository.split("/").map(segment).join("/")}`

export const paths = {
  repositories: "/repository",
  repository: repositoryPath,
  changeVisibility: (organization: string, repository: string) =>
    `${repositoryPath(organization, repository)}/changevisibility`,
  /** The list endpoint is defined with a trailing slash; without it Quay answers 308. */
  userPermissions: (organization: string, repository: string) =>
    `${repositoryPath(organization, repository)}/permissions/user/`,
  userPermission: (organization: string, repository: string, username: string) =>
    `${repositoryPath(organization, repository)}/permissions/user/${segment(username)}`,
  /** Defined with a trailing slash, like the permission list. */
  notifications: (organization: string, repository: string) => `${repositoryPath(organization, repository)}/notification/`,
  notification: (organization: string, repository: string, uuid: string) =>
    `${repositoryPath(organization, repository)}/notification/${segment(uuid)}`,
  robots: (organization: string) => `/organization/${segment(organization)}/robots`,
  robot: (organization: string, shortName: string) => `/organization/${segment(organization)}/robots/${segment(shortName)}`,
  regenerateRobot: (organization: string, shortName: string) =>
    `/organization/${segment(organization)}/robots/${segment(shortName)}/regenerate`
} as const

/**
 * The endpoint a path addresses, as a template without names (`/repository/{repository}/changevisibility`): the
 * `endpoint` label of the request metrics, so their series do not grow with the number of repositories.
 */
export const endpointOf = (path: string): string => {
  const robots = /^\/organization\/[^/]+\/robots(\/[^/]+(\/regenerate)?)?\/?$/.exec(path)
  if (robots !== null) {
    return `/organization/{organization}/robots${robots[1] === undefined ? "" : `/{robot}${robots[2] ?? ""}`}`
  }
  if (/^\/repository\/?$/.test(path)) return "/repository"
  if (!path.startsWith("/repository/")) return "other"
  if (/\/permissions\/user\/?$/.test(path)) return "/repository/{repository}/permissions/user/"
  if (/\/permissions\/user\/[^/]+$/.test(path)) return "/repository/{repository}/permissions/user/{username}"
  if (/\/notification\/?$/.test(path)) return "/repository/{repository}/notification/"
  if (/\/notification\/[^/]+\/test$/.test(path)) return "/repository/{repository}/notification/{uuid}/test"
  if (/\/notification\/[^/]+$/.test(path)) return "/repository/{repository}/notification/{uuid}"
  if (path.endsWith("/changevisibility")) return "/repository/{repository}/changevisibility"
  return "/repository/{repository}"
}
