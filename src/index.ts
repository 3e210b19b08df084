/**
 * image-repository-operator as a library: the reconcile programs, the service contracts they run against,
 * and the live and in-memory layers that interpret them, for other Effect applications to embed.
 */
export * as Component from "./domain/Component.ts"
export * as ComponentImageAnnotations from "./domain/ComponentImageAnnotations.ts"
export * as ComponentRepository from "./domain/ComponentRepository.ts"
export * as DockerConfig from "./domain/DockerConfig.ts"
export * as ImageRepository from "./domain/ImageRepository.ts"
export * as RobotSecret from "./domain/RobotSecret.ts"
export * as ReadyCondition from "./domain/ReadyCondition.ts"
export * from "./domain/ReconcileError.ts"
export * as RepositoryName from "./domain/RepositoryName.ts"
export * as RobotName from "./domain/RobotName.ts"
export * as ServiceAccountLinks from "./domain/ServiceAccountLinks.ts"

export { cleanup } from "./programs/cleanup.ts"
export * as CleanupDeadline from "./programs/CleanupDeadline.ts"
export { maintain } from "./programs/maintain.ts"
export { provision } from "./programs/provision.ts"
export { reconcileComponent } from "./programs/reconcileComponent.ts"
export { reconcileImageRepository } from "./programs/reconcileImageRepository.ts"
export { linkSecret, unlinkSecret, verifySecretLinks, verifySecretReferences } from "./programs/serviceAccountLinks.ts"
export { type Orphan, reportLines, sweepOrphans, type SweepOptions, type SweepReport } from "./programs/sweepOrphans.ts"

export * from "./services/Kubernetes.ts"
export * from "./services/KubernetesError.ts"
export * as ProgramSettings from "./services/ProgramSettings.ts"
export * from "./services/Quay.ts"
export * from "./services/QuayError.ts"
export * as ResourceKind from "./services/ResourceKind.ts"

export * as KubernetesInMemory from "./layers/KubernetesInMemory.ts"
export * as KubernetesLive from "./layers/KubernetesLive.ts"
export * as QuayHttp from "./layers/QuayHttp.ts"
export * as QuayInMemory from "./layers/QuayInMemory.ts"

export * as Controller from "./runtime/Controller.ts"
export * as Manager from "./runtime/Manager.ts"
export * as Telemetry from "./runtime/Telemetry.ts"
export * from "./services/ReconcileResult.ts"
export * as QuaySimulator from "./simulator/QuaySimulator.ts"
