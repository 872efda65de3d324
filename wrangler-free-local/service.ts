import type { Hono } from "hono";
import { type ListeningServer, serveFetch } from "../src/http/listen.ts";

/** A local emulator listening on a port, as the stack runner and the tests see it. */
export interface RunningService extends ListeningServer {
  name: string;
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
  return { name, ...(await serveFetch(app, options)) };
}
