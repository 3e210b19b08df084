/**
 * The behaviour every `Quay` implementation must share, written once and run against each of them (the in-memory
 * layer, and the live HTTP layer talking to the simulator). A difference between the two is a bug in one.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted, type Scope } from "effect"
import type { Visibility } from "../../src/domain/Visibility.ts"
import type { Quay } from "../../src/services/Quay.ts"
import type { QuayError } from "../../src/services/QuayError.ts"
import { typedFailure } from "../support/typedFailure.ts"

export type Plan = "free" | "paid"
export type RegistryAccess = "push" | "pull"

/** A fresh Quay (one organization, nothing in it) plus the levers a test needs that the API does not offer. */
export interface QuayContractHarness {
  readonly quay: Quay
  /** Would the registry accept `docker login -u username -p token` and then push/pull `repository` (name in the org)? */
  readonly authorize: (
    username: string,
    token: Redacted.Redacted<string>,
    repository: string,
    access: RegistryAccess
  ) => Effect.Effect<boolean>
  /** Changes the organization's plan behind the operator's back (free: no private repositories). */
  readonly setPlan: (plan: Plan) => Effect.Effect<void>
}

export interface QuayContractOptions {
  /** The organization the fresh Quay serves and the `Quay` is bound to. */
  readonly organization: string
}

/** Registers the contract suite as one describe block. `makeHarness` is called once per test. */
export const quayContract = (
  name: string,
  makeHarness: (options: QuayContractOptions) => Effect.Effect<QuayContractHarness, unknown, Scope.Scope>
): void => {
  const organization = "contract-org"

  /** Every test gets its own Quay; real time, since the live layer really talks HTTP. */
  const test = (title: string, body: (harness: QuayContractHarness) => Effect.Effect<void, unknown, Scope.Scope>) =>
    it.scopedLive(title, () => Effect.flatMap(makeHarness({ organization }), body), 60_000)

  const failure = <A>(effect: Effect.Effect<A, QuayError>) => typedFailure(effect)

  const visibilityOf = (quay: Quay, repository: string): Effect.Effect<Visibility | undefined, QuayError> =>
    Effect.map(quay.getRepository(repository), (found) => Option.getOrUndefined(Option.map(found, (r) => r.visibility)))

  const fullName = (shortName: string) => `${organization}+${shortName}`

  describe(`${name}: the Quay contract`, () => {
    describe("repositories", () => {
      test("create, get and delete a nested repository", ({ quay }) =>
        Effect.gen(function*() {
          assert.strictEqual(quay.organization, organization)
          assert.isTrue(Option.isNone(yield* quay.getRepository("tenant/app")))
          yield* quay.createRepository({ name: "tenant/app", visibility: "public", description: "the app" })
          const created = yield* quay.getRepository("tenant/app")
          assert.deepStrictEqual(
            created,
            Option.some({ namespace: organization, name: "tenant/app", visibility: "public" as const, description: "the app" })
          )
          yield* quay.deleteRepository("tenant/app")
          assert.isTrue(Option.isNone(yield* quay.getRepository("tenant/app")))
          // The name is free again at once.
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "" })
          assert.strictEqual(yield* visibilityOf(quay, "tenant/app"), "private")
        }))

      test("creating a taken name is QuayRepositoryAlreadyExists and changes nothing", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "first" })
          const error = yield* failure(quay.createRepository({ name: "tenant/app", visibility: "public", description: "second" }))
          assert.strictEqual(error._tag, "QuayRepositoryAlreadyExists")
          const repository = yield* quay.getRepository("tenant/app")
          assert.deepStrictEqual(
            Option.map(repository, (r) => [r.visibility, r.description]),
            Option.some(["private", "first"])
          )
        }))

      test("visibility changes both ways, and setting the current value again is a no-op", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "public", description: "" })
          yield* quay.changeVisibility("tenant/app", "private")
          assert.strictEqual(yield* visibilityOf(quay, "tenant/app"), "private")
          yield* quay.changeVisibility("tenant/app", "private")
          assert.strictEqual(yield* visibilityOf(quay, "tenant/app"), "private")
          yield* quay.changeVisibility("tenant/app", "public")
          assert.strictEqual(yield* visibilityOf(quay, "tenant/app"), "public")
        }))

      test("changing the visibility of an absent repository is QuayNotFound", ({ quay }) =>
        Effect.gen(function*() {
          const error = yield* failure(quay.changeVisibility("tenant/missing", "public"))
          assert.strictEqual(error._tag, "QuayNotFound")
          assert.isTrue(Option.isNone(yield* quay.getRepository("tenant/missing")))
        }))

      test("on a free plan a private repository is QuayPlanLimitExceeded, at create and at changevisibility", ({ quay, setPlan }) =>
        Effect.gen(function*() {
          yield* setPlan("free")
          const created = yield* failure(quay.createRepository({ name: "tenant/secret", visibility: "private", description: "" }))
          assert.strictEqual(created._tag, "QuayPlanLimitExceeded")
          assert.isTrue(Option.isNone(yield* quay.getRepository("tenant/secret")), "a refused private repository is not created")

          yield* quay.createRepository({ name: "tenant/open", visibility: "public", description: "" })
          const changed = yield* failure(quay.changeVisibility("tenant/open", "private"))
          assert.strictEqual(changed._tag, "QuayPlanLimitExceeded")
          assert.strictEqual(yield* visibilityOf(quay, "tenant/open"), "public")

          // Paying again lifts the limit for the same requests.
          yield* setPlan("paid")
          yield* quay.changeVisibility("tenant/open", "private")
          yield* quay.createRepository({ name: "tenant/secret", visibility: "private", description: "" })
          assert.strictEqual(yield* visibilityOf(quay, "tenant/secret"), "private")
        }))

      test("a repository's description can be replaced; an absent repository's is QuayNotFound", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "first" })
          yield* quay.setRepositoryDescription("tenant/app", "second")
          assert.deepStrictEqual(
            Option.map(yield* quay.getRepository("tenant/app"), (r) => [r.visibility, r.description]),
            Option.some(["private", "second"])
          )
          const error = yield* failure(quay.setRepositoryDescription("tenant/missing", "text"))
          assert.strictEqual(error._tag, "QuayNotFound")
          assert.isTrue(Option.isNone(yield* quay.getRepository("tenant/missing")))
        }))

      test("deleting an absent repository succeeds", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.deleteRepository("tenant/never-existed")
          yield* quay.createRepository({ name: "tenant/app", visibility: "public", description: "" })
          yield* quay.deleteRepository("tenant/app")
          yield* quay.deleteRepository("tenant/app")
          assert.isTrue(Option.isNone(yield* quay.getRepository("tenant/app")))
        }))

      test("listing returns every repository of the organization across pages (>100)", ({ quay }) =>
        Effect.gen(function*() {
          const names = Array.from({ length: 130 }, (_, i) => `list/r-${String(i).padStart(3, "0")}`)
          yield* Effect.forEach(
            names,
            (repository, i) =>
              quay.createRepository({ name: repository, visibility: i % 10 === 0 ? "private" : "public", description: "" }),
            { concurrency: 8 }
          )
          const listed = yield* quay.listRepositories()
          assert.strictEqual(listed.length, names.length)
          assert.deepStrictEqual([...listed.map((r) => r.name)].sort(), names)
          for (const repository of listed) {
            assert.strictEqual(repository.namespace, organization)
            const index = Number(repository.name.slice(-3))
            assert.strictEqual(repository.visibility, index % 10 === 0 ? "private" : "public", repository.name)
          }
        }))
    })

    describe("robot accounts", () => {
      test("create returns a token that get returns too; the list has no tokens", ({ quay }) =>
        Effect.gen(function*() {
          assert.isTrue(Option.isNone(yield* quay.getRobot("tenant_app_push")))
          const robot = yield* quay.createRobot("tenant_app_push", "push robot")
          assert.strictEqual(robot.name, fullName("tenant_app_push"))
          assert.strictEqual(robot.shortName, "tenant_app_push")
          assert.strictEqual(robot.description, "push robot")
          assert.isTrue(Redacted.isRedacted(robot.token))
          assert.isAbove(Redacted.value(robot.token).length, 0)

          const fetched = yield* quay.getRobot("tenant_app_push")
          assert.isTrue(Option.isSome(fetched))
          if (Option.isSome(fetched)) {
            assert.strictEqual(fetched.value.name, robot.name)
            assert.strictEqual(Redacted.value(fetched.value.token), Redacted.value(robot.token))
          }

          const listed = yield* quay.listRobots()
          const entry = listed.find((r) => r.shortName === "tenant_app_push")
          assert.deepStrictEqual(entry, { name: robot.name, shortName: "tenant_app_push", description: "push robot" })
        }))

      test("creating a taken robot name is QuayRobotAlreadyExists and keeps the token", ({ quay }) =>
        Effect.gen(function*() {
          const robot = yield* quay.createRobot("tenant_app_push", "first")
          const error = yield* failure(quay.createRobot("tenant_app_push", "second"))
          assert.strictEqual(error._tag, "QuayRobotAlreadyExists")
          const fetched = yield* quay.getRobot("tenant_app_push")
          assert.deepStrictEqual(
            Option.map(fetched, (r) => [r.description, Redacted.value(r.token)]),
            Option.some(["first", Redacted.value(robot.token)])
          )
        }))

      test("regenerating replaces the token: the old one stops authenticating, the new one works", ({ quay, authorize }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "" })
          const robot = yield* quay.createRobot("tenant_app_push", "push robot")
          yield* quay.setPermission("tenant/app", robot.name, "write")
          assert.isTrue(yield* authorize(robot.name, robot.token, "tenant/app", "push"))

          const regenerated = yield* quay.regenerateRobotToken("tenant_app_push")
          assert.strictEqual(regenerated.name, robot.name)
          assert.notStrictEqual(Redacted.value(regenerated.token), Redacted.value(robot.token))
          assert.isFalse(yield* authorize(robot.name, robot.token, "tenant/app", "push"), "old token still works")
          assert.isFalse(yield* authorize(robot.name, robot.token, "tenant/app", "pull"), "old token still works")
          assert.isTrue(yield* authorize(robot.name, regenerated.token, "tenant/app", "push"))
          const fetched = yield* quay.getRobot("tenant_app_push")
          assert.deepStrictEqual(
            Option.map(fetched, (r) => Redacted.value(r.token)),
            Option.some(Redacted.value(regenerated.token))
          )
        }))

      test("regenerating an absent robot is QuayNotFound", ({ quay }) =>
        Effect.gen(function*() {
          const error = yield* failure(quay.regenerateRobotToken("tenant_nobody"))
          assert.strictEqual(error._tag, "QuayNotFound")
        }))

      test("deleting a robot removes it; deleting an absent robot succeeds", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.deleteRobot("tenant_nobody")
          yield* quay.createRobot("tenant_app_push", "")
          yield* quay.deleteRobot("tenant_app_push")
          assert.isTrue(Option.isNone(yield* quay.getRobot("tenant_app_push")))
          assert.isUndefined((yield* quay.listRobots()).find((r) => r.shortName === "tenant_app_push"))
          yield* quay.deleteRobot("tenant_app_push")
        }))
    })

    describe("repository permissions", () => {
      test("set is an upsert, list shows the role, delete removes it, deleting an absent grant succeeds", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "" })
          const robot = yield* quay.createRobot("tenant_app_pull", "")
          yield* quay.setPermission("tenant/app", robot.name, "read")
          assert.strictEqual((yield* quay.listPermissions("tenant/app")).get(robot.name), "read")
          yield* quay.setPermission("tenant/app", robot.name, "write")
          yield* quay.setPermission("tenant/app", robot.name, "write")
          const permissions = yield* quay.listPermissions("tenant/app")
          assert.strictEqual(permissions.get(robot.name), "write")
          assert.strictEqual([...permissions.keys()].filter((user) => user === robot.name).length, 1)

          yield* quay.deletePermission("tenant/app", robot.name)
          assert.isFalse((yield* quay.listPermissions("tenant/app")).has(robot.name))
          yield* quay.deletePermission("tenant/app", robot.name)
        }))

      test("granting to a robot that does not exist is QuayNotFound", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "" })
          const error = yield* failure(quay.setPermission("tenant/app", fullName("tenant_ghost"), "read"))
          assert.strictEqual(error._tag, "QuayNotFound")
        }))

      test("deleting a robot drops its grants, also for a new robot of the same name", ({ quay, authorize }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "" })
          const robot = yield* quay.createRobot("tenant_app_push", "")
          yield* quay.setPermission("tenant/app", robot.name, "write")
          yield* quay.deleteRobot("tenant_app_push")
          assert.isFalse((yield* quay.listPermissions("tenant/app")).has(robot.name))

          const again = yield* quay.createRobot("tenant_app_push", "")
          assert.isFalse((yield* quay.listPermissions("tenant/app")).has(again.name))
          assert.isFalse(yield* authorize(again.name, again.token, "tenant/app", "pull"))
        }))

      test("a write robot may push to exactly its repository; a read robot may only pull", ({ quay, authorize }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "private", description: "" })
          yield* quay.createRepository({ name: "tenant/other", visibility: "private", description: "" })
          const pusher = yield* quay.createRobot("tenant_app_push", "")
          const puller = yield* quay.createRobot("tenant_app_pull", "")
          yield* quay.setPermission("tenant/app", pusher.name, "write")
          yield* quay.setPermission("tenant/app", puller.name, "read")

          assert.isTrue(yield* authorize(pusher.name, pusher.token, "tenant/app", "push"))
          assert.isTrue(yield* authorize(pusher.name, pusher.token, "tenant/app", "pull"))
          assert.isFalse(yield* authorize(pusher.name, pusher.token, "tenant/other", "push"))
          assert.isFalse(yield* authorize(pusher.name, pusher.token, "tenant/other", "pull"))
          assert.isTrue(yield* authorize(puller.name, puller.token, "tenant/app", "pull"))
          assert.isFalse(yield* authorize(puller.name, puller.token, "tenant/app", "push"))
          // Someone else's credentials are not the robot's.
          assert.isFalse(yield* authorize(pusher.name, puller.token, "tenant/app", "push"))
        }))
    })

    describe("repository notifications", () => {
      const hook = (title: string, url: string) => ({ title, event: "repo_push", method: "webhook", config: { url } })

      test("create, list and delete by uuid; titles are not unique; an absent repository has none", ({ quay }) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* quay.listNotifications("tenant/app"), [])
          yield* quay.createRepository({ name: "tenant/app", visibility: "public", description: "" })
          const first = yield* quay.createNotification("tenant/app", hook("build", "https://ci.example/a"))
          assert.deepStrictEqual(
            { ...first, uuid: "" },
            { uuid: "", title: "build", event: "repo_push", method: "webhook", config: { url: "https://ci.example/a" }, numberOfFailures: 0 }
          )
          const second = yield* quay.createNotification("tenant/app", hook("build", "https://ci.example/b"))
          assert.notStrictEqual(second.uuid, first.uuid)
          assert.deepStrictEqual((yield* quay.listNotifications("tenant/app")).map((n) => n.uuid), [first.uuid, second.uuid])
          yield* quay.deleteNotification("tenant/app", first.uuid)
          assert.deepStrictEqual((yield* quay.listNotifications("tenant/app")).map((n) => n.uuid), [second.uuid])
          // Deleting what is absent succeeds, also a uuid of another repository (which is left alone).
          yield* quay.deleteNotification("tenant/app", first.uuid)
          yield* quay.createRepository({ name: "tenant/other", visibility: "public", description: "" })
          yield* quay.deleteNotification("tenant/other", second.uuid)
          assert.deepStrictEqual((yield* quay.listNotifications("tenant/app")).map((n) => n.uuid), [second.uuid])
        }))

      test("a config the method refuses is QuayInvalidRequest with Quay's text, and nothing is created", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.createRepository({ name: "tenant/app", visibility: "public", description: "" })
          const noUrl = yield* failure(quay.createNotification("tenant/app", hook("build", "")))
          assert.strictEqual(noUrl._tag, "QuayInvalidRequest")
          assert.include(noUrl.message, "Missing webhook URL")
          const mail = yield* failure(
            quay.createNotification("tenant/app", { title: "mail", event: "repo_push", method: "email", config: { email: "a@example.com" } })
          )
          assert.strictEqual(mail._tag, "QuayInvalidRequest")
          assert.include(mail.message, "not authorized to receive notifications for this repository")
          assert.deepStrictEqual(yield* quay.listNotifications("tenant/app"), [])
        }))
    })

    describe("the token's reach", () => {
      test("verifyAccess passes for the operator's token and leaves nothing behind", ({ quay }) =>
        Effect.gen(function*() {
          yield* quay.verifyAccess()
          assert.deepStrictEqual(yield* quay.listRepositories(), [])
          assert.deepStrictEqual(yield* quay.listRobots(), [])
        }))
    })
  })
}
