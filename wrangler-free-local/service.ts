import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";

/** A local emulator listening on a port, as the stack runner and the tests see it. */
export interface RunningService {
  name: string;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4010 */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Defaults to 127.0.0.1: the emulators are never meant to be reachable from another machine. */
  host?: string;
  /** 0 picks a free port (what tests use). */
  port?: number;
}

/** Serves a fetch handler (a Hono app) on host:port and resolves once it is listening. */
export async function listen(
  name: string,
  app: Pick<Hono, "fetch">,
  options: ListenOptions = {},
): Promise<RunningService> {
  const host = options.host ?? "127.0.0.1";
  return await new Promise<RunningService>((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, hostname: host, port: options.port ?? 0 },
      (info: AddressInfo) => {
        const url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
        resolve({
          name,
          url,
          port: info.port,
          close: () =>
            new Promise<void>((done, fail) => {
              if ("closeAllConnections" in server) server.closeAllConnections();
              server.close((err) => (err ? fail(err) : done()));
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
