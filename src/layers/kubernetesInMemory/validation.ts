/**
 * The apiserver's built-in validation that a program can trip over (k8s.io/apimachinery ObjectMeta
 * validation and the core Secret rules), answered as 422 Invalid. CRD OpenAPI validation is deliberately
 * absent: the programs must cope with whatever a user manages to store.
 */
import type { ObjectRef } from "../../domain/ObjectMeta.ts"
import { isRecord, type KindInfo, type RawObject } from "./rawObject.ts"

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const secretKey = /^[-._a-zA-Z0-9]+$/

/** `prefix/name` or `name`, as label and annotation keys and finalizers must be. */
const isQualifiedName = (value: string): boolean => {
  const slash = value.indexOf("/")
  const prefix = slash === -1 ? undefined : value.slice(0, slash)
  const name = slash === -1 ? value : value.slice(slash + 1)
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !dns1123Subdomain.test(prefix))) return false
  return name.length > 0 && name.length <= 63 && qualifiedNamePart.test(name)
}

const isCoreSecret = (kind: KindInfo): boolean => kind.group === "" && kind.kind === "Secret"

const decodeBase64 = (value: string): string => Buffer.from(value, "base64").toString("utf8")

const metadataProblems = (meta: Record<string, unknown>): Array<string> => {
  const problems: Array<string> = []
  const labels = meta["labels"]
  if (isRecord(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      if (!isQualifiedName(key)) problems.push(`metadata.labels: Invalid value: "${key}": name part must be a qualified name`)
      if (typeof value !== "string" || value.length > 63 || !labelValue.test(value)) {
        problems.push(`metadata.labels: Invalid value: "${String(value)}": a valid label must be 63 characters or less, alphanumeric, '-', '_' or '.'`)
      }
    }
  }
  const annotations = meta["annotations"]
  if (isRecord(annotations)) {
    for (const key of Object.keys(annotations)) {
      if (!isQualifiedName(key)) problems.push(`metadata.annotations: Invalid value: "${key}": must be a qualified name`)
    }
  }
  const finalizers = meta["finalizers"]
  if (Array.isArray(finalizers)) {
    for (const finalizer of finalizers) {
      if (typeof finalizer !== "string" || !isQualifiedName(finalizer)) {
        problems.push(`metadata.finalizers: Invalid value: "${String(finalizer)}": must be a qualified name`)
      }
    }
  }
  const owners = meta["ownerReferences"]
  if (Array.isArray(owners)) {
    let controllers = 0
    for (const owner of owners) {
      if (!isRecord(owner)) continue
      for (const field of ["apiVersion", "kind", "name", "uid"]) {
        if (typeof owner[field] !== "string" || owner[field] === "") {
          problems.push(`metadata.ownerReferences.${field}: Required value`)
        }
      }
      if (owner["controller"] === true) controllers++
    }
    if (controllers > 1) problems.push("metadata.ownerReferences: Invalid value: Only one reference can have Controller set to true")
  }
  return problems
}

const secretProblems = (object: RawObject): Array<string> => {
  const problems: Array<string> = []
  const data = isRecord(object["data"]) ? object["data"] : {}
  for (const [key, value] of Object.entries(data)) {
    if (!secretKey.test(key)) problems.push(`data[${key}]: Invalid value: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`)
    // The apiserver decodes data values into bytes: anything but standard base64 is a bad request.
    if (typeof value !== "string" || !base64.test(value)) problems.push(`data[${key}]: illegal base64 data`)
  }
  if (object["type"] === "kubernetes.io/dockerconfigjson") {
    const config = data[".dockerconfigjson"]
    if (typeof config !== "string") {
      problems.push("data[.dockerconfigjson]: Required value")
    } else if (base64.test(config)) {
      try {
        JSON.parse(decodeBase64(config))
      } catch {
        problems.push("data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid JSON")
      }
    }
  }
  return problems
}

/** Why an object cannot be created under this name and namespace, or undefined when it can. */
export const nameProblem = (ref: ObjectRef): string | undefined => {
  if (ref.name === "") return "metadata.name: Required value: name or generateName is required"
  if (ref.name.length > 253 || !dns1123Subdomain.test(ref.name)) {
    return `metadata.name: Invalid value: "${ref.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`
  }
  if (ref.namespace === "") return "metadata.namespace: Required value"
  if (ref.namespace.length > 63 || !dns1123Label.test(ref.namespace)) {
    return `metadata.namespace: Invalid value: "${ref.namespace}": a lowercase RFC 1123 label`
  }
  return undefined
}

/** Why the object cannot be stored, or undefined when it can. */
export const validate = (kind: KindInfo, object: RawObject, previous: RawObject | undefined): string | undefined => {
  const meta = isRecord(object["metadata"]) ? object["metadata"] : {}
  const problems = metadataProblems(meta)
  if (previous !== undefined) {
    const before = isRecord(previous["metadata"]) ? previous["metadata"] : {}
    if (typeof meta["uid"] === "string" && meta["uid"] !== before["uid"]) {
      problems.push("metadata.uid: Invalid value: field is immutable")
    }
  }
  if (isCoreSecret(kind)) {
    problems.push(...secretProblems(object))
    if (previous !== undefined) {
      if ((previous["type"] ?? "Opaque") !== (object["type"] ?? "Opaque")) problems.push("type: Invalid value: field is immutable")
      if (previous["immutable"] === true && JSON.stringify(previous["data"]) !== JSON.stringify(object["data"])) {
        problems.push("data: Forbidden: field is immutable when `immutable` is set")
      }
    }
  }
  return problems.length === 0 ? undefined : problems.join("; ")
}
