import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { HttpEnv } from "./types.ts";

/** How the caller's IP address is determined. */
export interface ClientIpOptions {
  /**
   * Number of reverse proxies in front of the app that append to `X-Forwarded-For` (an ALB is 1).
   * 0 (default) ignores the header, since any client can set it.
   */
  trustProxyHops?: number;
  /** The peer address of the connection; defaults to the Node socket (`@hono/node-server`). */
  socketAddress?: (c: Context) => string | undefined;
}

function nodeSocketAddress(c: Context): string | undefined {
  // app.request() in tests and non-Node runtimes have no socket binding.
  const env = c.env as { incoming?: unknown; server?: { incoming?: unknown } } | undefined;
  if (!env?.incoming && !env?.server?.incoming) return undefined;
  return getConnInfo(c).remote.address;
}

/** Sets `clientIp`: the socket peer, or the rightmost untrusted `X-Forwarded-For` entry behind N proxies. */
export function clientIp(options: ClientIpOptions = {}): MiddlewareHandler<HttpEnv> {
  const hops = options.trustProxyHops ?? 0;
  const socketAddress = options.socketAddress ?? nodeSocketAddress;
  return async (c, next) => {
    const peer = socketAddress(c) ?? "unknown";
    let ip = peer;
    if (hops > 0) {
      const forwarded = (c.req.header("x-forwarded-for") ?? "")
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0);
      // Each trusted proxy appended the address it saw; the entry before them is the client.
      const chain = [...forwarded, peer];
      ip = chain[Math.max(0, chain.length - 1 - hops)] ?? peer;
    }
    c.set("clientIp", ip);
    await next();
  };
}
