/**
 * `npm run sweep -- [--dry-run]`: the orphan sweep once, with the operator's configuration (see sweepCommand.ts).
 */
import { runEntryPoint } from "./entryPoint.ts"
import { sweepCommand } from "./sweepCommand.ts"

runEntryPoint("sweep", sweepCommand(process.argv.slice(2)))
