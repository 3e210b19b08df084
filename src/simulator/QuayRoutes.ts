/**
 * Quay's api/v1 routes that the operator uses, matched the way Werkzeug matches them: the repository
 * converter is greedy (`[^/]+(/[^/]+)+`, so nested names work), suffix rules are tried before the bare
 * repository rule, the first rule that matches path and method wins, and a path that matches only with
 * other methods is a 405.
 */

export type RouteName =
  | "listRepositories"
  | "createRepository"
  | "getRepository"
  | "updateRepository"
  | "deleteRepository"
  | "changeVisibility"
  | "listPermissions"
  | "listPermissionsRedirect"
  | "listTeamPermissions"
  | "getPermission"
  | "setPermission"
  | "deletePermission"
  | "listRobots"
  | "getRobot"
  | "createRobot"
  | "deleteRobot"
  | "regenerateRobot"
  | "listNotifications"
  | "listNotificationsRedirect"
  | "createNotification"
  | "getNotification"
  | "deleteNotification"
  | "resetNotification"
  | "testNotification"

interface Rule {
  readonly pattern: RegExp
  /** Path template, used as the endpoint label in request counts. */
  readonly template: string
  readonly methods: Readonly<Record<string, RouteName>>
}

const repo = "([^/]+(?:/[^/]+)+)"
const segment = "([^/]+)"

const rules: ReadonlyArray<Rule> = [
  {
    pattern: /^\/repository$/,
    template: "/repository",
    methods: { GET: "listRepositories", POST: "createRepository" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/changevisibility$`),
    template: "/repository/{repository}/changevisibility",
    methods: { POST: "changeVisibility" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/permissions/user/$`),
    template: "/repository/{repository}/permissions/user/",
    methods: { GET: "listPermissions" }
  },
  {
    // Defined with a trailing slash in Quay: without it Werkzeug redirects GET and HEAD (308); other methods fall
    // through to the rules after it, so DELETE and PUT reach the repository rule (a repository named
    // `…/permissions/user`) and POST is a 405.
    pattern: new RegExp(`^/repository/${repo}/permissions/user$`),
    template: "/repository/{repository}/permissions/user",
    methods: { GET: "listPermissionsRedirect" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/permissions/team/$`),
    template: "/repository/{repository}/permissions/team/",
    methods: { GET: "listTeamPermissions" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/permissions/team$`),
    template: "/repository/{repository}/permissions/team",
    methods: { GET: "listPermissionsRedirect" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/permissions/user/${segment}$`),
    template: "/repository/{repository}/permissions/user/{username}",
    methods: { GET: "getPermission", PUT: "setPermission", DELETE: "deletePermission" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/notification/$`),
    template: "/repository/{repository}/notification/",
    methods: { GET: "listNotifications", POST: "createNotification" }
  },
  {
    // Like the permission lists: GET and HEAD are redirected, DELETE and PUT reach the repository rule, POST is a 405.
    pattern: new RegExp(`^/repository/${repo}/notification$`),
    template: "/repository/{repository}/notification",
    methods: { GET: "listNotificationsRedirect" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/notification/${segment}/test$`),
    template: "/repository/{repository}/notification/{uuid}/test",
    methods: { POST: "testNotification" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}/notification/${segment}$`),
    template: "/repository/{repository}/notification/{uuid}",
    methods: { GET: "getNotification", DELETE: "deleteNotification", POST: "resetNotification" }
  },
  {
    pattern: new RegExp(`^/repository/${repo}$`),
    template: "/repository/{repository}",
    methods: { GET: "getRepository", PUT: "updateRepository", DELETE: "deleteRepository" }
  },
  {
    pattern: new RegExp(`^/organization/${segment}/robots$`),
    template: "/organization/{orgname}/robots",
    methods: { GET: "listRobots" }
  },
  {
    pattern: new RegExp(`^/organization/${segment}/robots/${segment}$`),
    template: "/organization/{orgname}/robots/{robot_shortname}",
    methods: { GET: "getRobot", PUT: "createRobot", DELETE: "deleteRobot" }
  },
  {
    pattern: new RegExp(`^/organization/${segment}/robots/${segment}/regenerate$`),
    template: "/organization/{orgname}/robots/{robot_shortname}/regenerate",
    methods: { POST: "regenerateRobot" }
  }
]

export const apiPrefix = "/api/v1"

export type RouteMatch =
  | {
    readonly _tag: "Matched"
    readonly route: RouteName
    /** e.g. `PUT /api/v1/organization/{orgname}/robots/{robot_shortname}` */
    readonly endpoint: string
    readonly params: ReadonlyArray<string>
  }
  /** OPTIONS on a known path: CORS pre-flight, always 200. */
  | { readonly _tag: "Options"; readonly endpoint: string; readonly allowed: ReadonlyArray<string> }
  | { readonly _tag: "MethodNotAllowed"; readonly endpoint: string; readonly allowed: ReadonlyArray<string> }
  | { readonly _tag: "NotFound"; readonly endpoint: string; readonly insideApi: boolean }

/** Splits `ns/name/with/slashes` on the first `/`, as Quay does. */
export const splitRepository = (path: string): { readonly namespace: string; readonly name: string } => {
  const slash = path.indexOf("/")
  return { namespace: path.slice(0, slash), name: path.slice(slash + 1) }
}

export const matchRoute = (method: string, path: string): RouteMatch => {
  if (path !== apiPrefix && !path.startsWith(`${apiPrefix}/`)) {
    return { _tag: "NotFound", endpoint: "unmatched", insideApi: false }
  }
  const rest = path.slice(apiPrefix.length)
  const upper = method.toUpperCase()
  const lookup = upper === "HEAD" ? "GET" : upper
  let allowedElsewhere: Array<string> = []
  let firstTemplate: string | undefined
  for (const rule of rules) {
    const m = rule.pattern.exec(rest)
    if (m === null) continue
    const allowed = Object.keys(rule.methods)
    firstTemplate ??= rule.template
    if (upper === "OPTIONS") {
      return { _tag: "Options", endpoint: `OPTIONS ${apiPrefix}${rule.template}`, allowed: [...allowed, "OPTIONS"] }
    }
    const route = rule.methods[lookup]
    if (route === undefined) {
      allowedElsewhere = [...allowedElsewhere, ...allowed]
      continue
    }
    return { _tag: "Matched", route, endpoint: `${upper} ${apiPrefix}${rule.template}`, params: m.slice(1) }
  }
  if (firstTemplate !== undefined) {
    return {
      _tag: "MethodNotAllowed",
      endpoint: `${upper} ${apiPrefix}${firstTemplate}`,
      allowed: [...new Set([...allowedElsewhere, "OPTIONS"])]
    }
  }
  return { _tag: "NotFound", endpoint: "unmatched", insideApi: true }
}
