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
  deps: Pick<RepogateDependencies, "logger" | "env"> = {},
): Promise<RunningServer> {
  const repogate = await createRepogate(config, deps);
  const { host, port } = config.listen;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: repogate.app.fetch, hostname: host, port }, () => resolve(s));
    s.once("error", reject);
  }).catch(async (error: unknown) => {
    await repogate.close();
    throw error;
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  repogate.logger.info({ url, resource: repogate.resourceUrl }, "repogate listening");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // server.close waits for in-flight requests; idle keep-alive sockets would hold it open forever.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
      await repogate.close();
    })();
    return closing;
  };
  return { url, port: bound, repogate, close };
}
