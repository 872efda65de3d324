import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { RepogateConfig } from "./config/index.ts";
import { createRepogate, type Repogate, type RepogateDependencies } from "./repogate.ts";

/** A broker listening on a port (ECS Fargate, `repogate serve`, `repogate local`). */
export interface RunningServer {
  url: string;
  port: number;
  repogate: Repogate;
  /** Stops taking connections, lets in-flight requests finish, then releases everything the broker holds. */
  close(): Promise<void>;
}

/** Builds the broker from settings and serves it with @hono/node-server. */
export async function startServer(
  config: RepogateConfig,
  deps: Pick<RepogateDependencies, "logger" | "env"> & {
    /**
     * How long in-flight requests may run after shutdown starts before their connections are cut; the rest
     * of shutdown (revocations, audit flush) follows. Default 20 s, inside ECS's default 30 s stopTimeout.
     */
    shutdownTimeoutMs?: number;
  } = {},
): Promise<RunningServer> {
  const shutdownTimeoutMs = deps.shutdownTimeoutMs ?? 20_000;
  const repogate = await createRepogate(config, deps);
  const { host, port } = config.listen;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: repogate.app.fetch, hostname: host, port }, () => resolve(s));
    s.once("error", reject);
  }).catch(async (error: unknown) => {
    await repogate.close();
    throw error;
  });
  // Keep-alive connections busy when shutdown starts would keep taking new requests until the deadline (clients
  // reuse them), so shutdown under load never drained and always cut calls off. Once closing, every response
  // (in flight or new on such a connection) says `connection: close`, and Node ends the connection after it.
  let draining = false;
  const unanswered = new Set<ServerResponse>();
  server.on("request", (_req: unknown, res: ServerResponse) => {
    if (draining) res.setHeader("connection", "close");
    unanswered.add(res);
    res.once("close", () => unanswered.delete(res));
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  repogate.logger.info({ url, resource: repogate.resourceUrl }, "repogate listening");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      for (const res of unanswered) if (!res.headersSent) res.setHeader("connection", "close");
      // server.close waits for in-flight requests; idle keep-alive sockets would hold it open forever, and a
      // hung request past the deadline would let the orchestrator's SIGKILL lose pending revocations.
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          repogate.logger.warn({ afterMs: shutdownTimeoutMs }, "in-flight requests cut off at shutdown");
          if ("closeAllConnections" in server) server.closeAllConnections();
        }, shutdownTimeoutMs);
        deadline.unref();
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
      await repogate.close();
    })();
    return closing;
  };
  return { url, port: bound, repogate, close };
}
