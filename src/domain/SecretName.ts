import type { ImageRepository } from "./ImageRepository.ts"
import { imageRepositoryGroupOf } from "./ImageRepositoryGroup.ts"
import type { RobotRole } from "./RobotName.ts"

/**
 * `<name>-image-push` / `<name>-image-pull` (`-img-push` / `-img-pull` in konflux-ci.dev), as the original
 * controller names them for the object's API group (the name cut to 220 characters, so the whole fits 253). The
 * only Secret names an object's credentials may have.
 */
export const secretName = (ir: ImageRepository, role: RobotRole): string =>
  `${ir.metadata.name.slice(0, 220)}${imageRepositoryGroupOf(ir).secretSuffix[role]}`
