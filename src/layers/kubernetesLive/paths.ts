/** REST paths of the apiserver: core kinds live under /api/v1, every other group under /apis/<group>/<version>. */
export interface KindAddress {
  readonly group: string
  readonly version: string
  readonly plural: string
}

const prefix = (kind: KindAddress): string =>
  kind.group === "" ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`

/** The collection: in one namespace, or across all of them when `namespace` is absent. */
export const collectionPath = (kind: KindAddress, namespace: string | undefined): string =>
  namespace === undefined || namespace === ""
    ? `${prefix(kind)}/${kind.plural}`
    : `${prefix(kind)}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`

export const objectPath = (
  kind: KindAddress,
  namespace: string | undefined,
  name: string,
  subresource?: "status"
): string =>
  `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}${subresource === undefined ? "" : `/${subresource}`}`

/** The discovery document of the kind's group/version (an APIResourceList). */
export const discoveryPath = (kind: KindAddress): string => prefix(kind)
