import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";

/** A fetch handler listening on a port. */
export interface ListeningServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4010 */
  url: string;
  port: number;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

export interface ServeFetchOptions {
  /** Default 127.0.0.1: reachable from this machine only unless the caller says otherwise. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

/** Serves a fetch handler (a Hono app) on host:port with @hono/node-server and resolves once it is listening. */
export async function serveFetch(
  app: Pick<Hono, "fetch">,
  options: ServeFetchOptions = {},
): Promise<ListeningServer> {
  const host = options.host ?? "127.0.0.1";
  return await new Promise<ListeningServer>((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, hostname: host, port: options.port ?? 0 },
      (info: AddressInfo) => {
        resolve({
          url: `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`,
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
