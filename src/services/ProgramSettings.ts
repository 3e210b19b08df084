import { Config, type ConfigError, Context, Data, Effect, Layer } from "effect"
import { defaultPipelineServiceAccount, templateProblem } from "../domain/ServiceAccountLinks.ts"

/** The operator's settings that change what the programs do (not how the runtime runs them). */
export interface ProgramSettingsOptions {
  /**
   * Names the ServiceAccount whose `secrets` (never `imagePullSecrets`) list a component repository's push Secret:
   * `{component}` and `{application}` are replaced. Default `appstudio-pipeline`, as in the spec's era; current
   * Konflux uses `build-pipeline-{component}`.
   */
  readonly pipelineServiceAccount: string
  /**
   * How credentials reach the namespace, decided at start (runtime: `REMOTE_SECRETS` and discovery): Secrets the
   * operator writes itself (`secrets`, the default), or RemoteSecrets the RemoteSecret operator deploys
   * (`remote-secrets`).
   */
  readonly credentialDelivery?: CredentialDelivery | undefined
  /** Whether the RemoteSecret API is served: in `secrets` mode the object's RemoteSecrets left from before are retired. */
  readonly remoteSecretsServed?: boolean | undefined
  /**
   * The original controller's namespace pull robot, its read grant on each repository of the namespace and the
   * `components-namespace-pull` Secret, with spec.credentials.regenerate-namespace-pull-token. Off by default: the
   * spec's model has no such robot (a component repository's own pull robot and Secret serve its pulls).
   */
  readonly namespacePullSecret?: boolean | undefined
}

export type CredentialDelivery = "secrets" | "remote-secrets"

export const defaults: ProgramSettingsOptions = { pipelineServiceAccount: defaultPipelineServiceAccount }

/**
 * The programs' settings: a reference holding the spec's defaults, so an application that embeds the programs (or a
 * test) and provides nothing gets the spec's behaviour.
 */
export class ProgramSettings extends Context.Reference<ProgramSettings>()("image-repository-operator/ProgramSettings", {
  defaultValue: (): ProgramSettingsOptions => defaults
}) {}

/** A setting the programs cannot work with. */
export class InvalidProgramSettings extends Data.TaggedError("InvalidProgramSettings")<{
  readonly setting: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.setting}: ${this.problem}`
  }
}

/** Checks the settings: a name template must only hold known placeholders and make valid ServiceAccount names. */
export const make = (options: ProgramSettingsOptions): Effect.Effect<ProgramSettingsOptions, InvalidProgramSettings> => {
  const problem = templateProblem(options.pipelineServiceAccount)
  return problem === undefined
    ? Effect.succeed(options)
    : Effect.fail(new InvalidProgramSettings({ setting: "pipelineServiceAccount", problem }))
}

export const layer = (options: ProgramSettingsOptions): Layer.Layer<ProgramSettings, InvalidProgramSettings> =>
  Layer.effect(ProgramSettings, make(options))

export const layerConfig = (
  config: Config.Config.Wrap<ProgramSettingsOptions>
): Layer.Layer<ProgramSettings, ConfigError.ConfigError | InvalidProgramSettings> =>
  Layer.effect(ProgramSettings, Effect.flatMap(Config.unwrap(config), make))
