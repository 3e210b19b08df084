import type { ImageRepository } from "./ImageRepository.ts"
import type { RobotRole } from "./RobotName.ts"

/**
 * `<name>-image-push` / `<name>-image-pull`, as the original controller names them for this API group (the name
 * cut to 220 characters, so the whole fits 253). The only Secret names an object's credentials may have.
 */
export const secretName = (ir: ImageRepository, role: RobotRole): string => `${ir.metadata.name.slice(0, 220)}-image-${role}`
