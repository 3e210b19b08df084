/** A port nothing listens on now on 127.0.0.1 (the kernel's pick for port 0), for a local listener started next. */
import { createServer } from "node:net"
import { Data, Effect } from "effect"

export class NoFreePort extends Data.TaggedError("NoFreePort")<{ readonly cause: Error }> {
  override get message() {
    return `no free port on 127.0.0.1: ${this.cause.message}`
  }
}

export const freePort: Effect.Effect<number, NoFreePort> = Effect.async((resume) => {
  const server = createServer()
  server.once("error", (cause) => resume(Effect.fail(new NoFreePort({ cause }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})
