import * as ImageRepository from "./ImageRepository.ts"
import type { OwnerKind } from "./ObjectMeta.ts"
import type { RobotRole } from "./RobotName.ts"

/**
 * The two API groups ImageRepository is served in, as the original controller serves it since mid-2026: the
 * original group `appstudio.redhat.com` and the newer `konflux-ci.dev`. Same schema and the same programs; what
 * differs is data: the group, and the Secret suffixes (different so that same-named objects of both groups in one
 * namespace never share a Secret while users migrate from one to the other).
 */
export interface ImageRepositoryGroup {
  readonly group: string
  readonly apiVersion: string
  readonly ownerKind: OwnerKind
  readonly secretSuffix: Readonly<Record<RobotRole, string>>
}

const groupOf = (group: string, secretSuffix: Readonly<Record<RobotRole, string>>): ImageRepositoryGroup => {
  const apiVersion = `${group}/${ImageRepository.version}`
  return { group, apiVersion, ownerKind: { apiVersion, kind: ImageRepository.kind }, secretSuffix }
}

export const appstudio = groupOf(ImageRepository.group, { push: "-image-push", pull: "-image-pull" })
export const konflux = groupOf("konflux-ci.dev", { push: "-img-push", pull: "-img-pull" })

export const imageRepositoryGroups: ReadonlyArray<ImageRepositoryGroup> = [appstudio, konflux]

/**
 * The group an object belongs to, from its apiVersion (the apiserver always sends it): an object without one, as
 * built by hand in tests or by an embedding application, is the original group's.
 */
export const imageRepositoryGroupOf = (object: { readonly apiVersion?: string | undefined }): ImageRepositoryGroup =>
  imageRepositoryGroups.find((g) => g.apiVersion === object.apiVersion) ?? appstudio

/** The owner reference kind of an object's Secrets and Events. */
export const ownerKindOf = (object: { readonly apiVersion?: string | undefined }): OwnerKind =>
  imageRepositoryGroupOf(object).ownerKind
