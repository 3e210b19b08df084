/**
 * The soak's invariants, checked against the real apiserver and the simulator's state:
 * - lost: a live object that is not settled, or whose repository, visibility, Secret, credentials or link do not
 *   match Quay (credentials must authenticate, through the simulator's grant, for exactly its repository and access);
 * - stuck: an object still being deleted;
 * - duplicates: a second Secret, robot or link for one object, one repository claimed by two objects;
 * - cross-tenant: a Secret holding another object's robot or token, a robot granted on another object's repository;
 * - orphans: a robot, a marked repository or a managed Secret that no live object accounts for.
 * Repositories without the operator's mark (kept on purpose when their object went) are counted, not faulted.
 */
import { markedOwner } from "../src/domain/Ownership.ts"
import { derivesFrom } from "../src/domain/RobotName.ts"
import { dockerCredentials, type Observation } from "./Observation.ts"
import { componentOwner, imageRepositoryOwner, type Owner } from "./Owners.ts"

export interface InvariantCounts {
  readonly lost: number
  readonly stuck: number
  readonly duplicates: number
  readonly crossTenant: number
  readonly orphans: number
}

export interface InvariantReport {
  readonly counts: InvariantCounts
  readonly problems: ReadonlyArray<string>
  readonly objects: { readonly ready: number; readonly idle: number; readonly components: number }
  /** Unmarked repositories: kept by design (a Component without delete-image-repo), nobody's to delete. */
  readonly kept: number
  readonly robots: number
  readonly repositories: number
}

export interface CheckOptions {
  readonly organization: string
  readonly pipelineAccount: string
  /** Whether the credentials may push or pull `<org>/<path>`: the simulator's grant (`simAuthorizes`). */
  readonly authorize: (robot: string, token: string, repo: string, access: "push" | "pull") => Promise<boolean>
}

export const checkInvariants = async (observation: Observation, options: CheckOptions): Promise<InvariantReport> => {
  const { organization, authorize } = options
  const problems: Record<keyof InvariantCounts, Array<string>> = { lost: [], stuck: [], duplicates: [], crossTenant: [], orphans: [] }
  const owners: ReadonlyArray<Owner> = [
    ...observation.imageRepositories.map((ir) => imageRepositoryOwner(ir, organization, options.pipelineAccount)),
    ...observation.components.map((c) => componentOwner(c, organization))
  ]
  const active = owners.filter((o) => !o.deleting && !o.idle)
  const byUid = new Map(active.map((o) => [o.uid, o]))
  const robots = new Map(observation.quay.robots.map((r) => [r.name, r]))
  const repositories = new Map(
    observation.quay.repositories.filter((r) => r.namespace === organization).map((r) => [r.name, r])
  )
  const tokenOwners = new Map<string, string>()

  for (const owner of owners.filter((o) => o.deleting)) problems.stuck.push(`${owner.kind} ${owner.name} is still being deleted`)
  for (const owner of owners.filter((o) => !o.deleting)) {
    for (const why of owner.unsettled) problems.lost.push(`${owner.kind} ${owner.name}: ${why}`)
  }

  for (const owner of active) {
    const who = `${owner.kind} ${owner.name}`
    const repository = owner.repository === undefined ? undefined : repositories.get(owner.repository)
    if (repository === undefined) problems.lost.push(`${who}: repository ${owner.repository ?? "(none in status)"} not in Quay`)
    else {
      if (repository.visibility !== owner.visibility) problems.lost.push(`${who}: Quay says ${repository.visibility}, status ${owner.visibility ?? "none"}`)
      if (markedOwner(repository.description)?.uid !== owner.uid) problems.lost.push(`${who}: repository not marked for it`)
    }
    const claimants = active.filter((o) => o.repository !== undefined && o.repository === owner.repository)
    if (claimants.length > 1 && claimants[0] === owner) problems.duplicates.push(`${claimants.length} objects claim ${owner.repository ?? ""}`)

    const owned = observation.secrets.filter((s) => s.metadata.ownerReferences?.some((ref) => ref.uid === owner.uid))
    if (owned.length > owner.secrets.length) problems.duplicates.push(`${who}: ${owned.length} Secrets, ${owner.secrets.length} expected`)
    const marked = observation.quay.robots.filter((r) => markedOwner(r.description)?.uid === owner.uid)
    if (marked.length > owner.robots) problems.duplicates.push(`${who}: ${marked.length} robots, ${owner.robots} expected`)
    if (marked.length < owner.robots) problems.lost.push(`${who}: ${marked.length} robots, ${owner.robots} expected`)

    for (const expected of owner.secrets) {
      const secret = observation.secrets.find((s) => s.metadata.name === expected.name)
      if (secret === undefined) {
        problems.lost.push(`${who}: Secret ${expected.name} missing`)
        continue
      }
      if (!(secret.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.uid)) {
        problems.crossTenant.push(`${who}: Secret ${expected.name} is owned by another object`)
        continue
      }
      const credentials = dockerCredentials(secret)
      const entry = credentials[0]
      if (credentials.length !== 1 || entry === undefined) {
        problems.lost.push(`${who}: Secret ${expected.name} holds ${credentials.length} credentials`)
        continue
      }
      if (entry.path !== owner.url) problems.crossTenant.push(`${who}: Secret ${expected.name} is for ${entry.path}`)
      const robot = robots.get(entry.username)
      if (robot === undefined) problems.lost.push(`${who}: Secret ${expected.name} names a robot Quay does not have`)
      else if (markedOwner(robot.description)?.uid !== owner.uid) problems.crossTenant.push(`${who}: Secret ${expected.name} holds another object's robot`)
      const previous = tokenOwners.get(entry.token)
      if (previous !== undefined && previous !== owner.uid) problems.crossTenant.push(`${who}: Secret ${expected.name} holds another object's token`)
      tokenOwners.set(entry.token, owner.uid)
      const repo = `${organization}/${owner.repository ?? ""}`
      const [push, pull] = await Promise.all([
        authorize(entry.username, entry.token, repo, "push"),
        authorize(entry.username, entry.token, repo, "pull")
      ])
      const wanted = expected.access === "push" ? push && pull : pull && !push
      if (!wanted) problems.lost.push(`${who}: Secret ${expected.name} grants push ${push}, pull ${pull} (${expected.access} wanted)`)
      const elsewhere = observation.quay.repositories.filter((r) =>
        r.permissions[entry.username] !== undefined && !(r.namespace === organization && r.name === owner.repository)
      )
      if (elsewhere.length > 0) problems.crossTenant.push(`${who}: robot of ${expected.name} is granted on ${elsewhere.length} other repositories`)
    }

    if (owner.linkTo !== undefined) {
      const push = owner.secrets[0]?.name ?? ""
      const account = observation.serviceAccounts.find((sa) => sa.metadata.name === owner.linkTo)
      const links = (account?.secrets ?? []).filter((ref) => ref.name === push).length
      if (links === 0) problems.lost.push(`${who}: ${push} not linked to ${owner.linkTo}`)
      if ((account?.imagePullSecrets ?? []).some((ref) => ref.name === push)) problems.lost.push(`${who}: ${push} in imagePullSecrets`)
    }
  }

  for (const account of observation.serviceAccounts) {
    const names = (account.secrets ?? []).map((ref) => ref.name)
    for (const name of new Set(names)) {
      if (names.filter((n) => n === name).length > 1) problems.duplicates.push(`ServiceAccount ${account.metadata.name} lists ${name} twice`)
    }
  }

  for (const robot of observation.quay.robots) {
    const mark = markedOwner(robot.description)
    const owner = mark === undefined ? undefined : byUid.get(mark.uid)
    if (mark === undefined || owner === undefined || !derivesFrom(robot.shortName, mark.uid)) {
      problems.orphans.push(`robot ${robot.name} (${mark === undefined ? "unmarked" : `for ${mark.kind} ${mark.name}`})`)
    }
  }
  let kept = 0
  for (const repository of repositories.values()) {
    const mark = markedOwner(repository.description)
    if (mark === undefined) kept += 1
    else if (byUid.get(mark.uid)?.repository !== repository.name) problems.orphans.push(`repository ${repository.name} (for ${mark.kind} ${mark.name})`)
  }
  const liveUids = new Set(owners.map((o) => o.uid))
  for (const secret of observation.secrets) {
    const managed = secret.metadata.labels?.["app.kubernetes.io/managed-by"] === "image-repository-operator"
    const refs = secret.metadata.ownerReferences ?? []
    if (managed && !refs.some((ref) => liveUids.has(ref.uid))) problems.orphans.push(`Secret ${secret.metadata.name} of no live object`)
  }

  return {
    counts: {
      lost: problems.lost.length,
      stuck: problems.stuck.length,
      duplicates: problems.duplicates.length,
      crossTenant: problems.crossTenant.length,
      orphans: problems.orphans.length
    },
    problems: Object.entries(problems).flatMap(([kind, list]) => list.map((p) => `${kind}: ${p}`)),
    objects: {
      ready: active.length,
      idle: owners.filter((o) => o.idle && !o.deleting).length,
      components: observation.components.length
    },
    kept,
    robots: observation.quay.robots.length,
    repositories: repositories.size
  }
}
