import type { Hono } from "hono";
import type { Logger } from "pino";
import type { HttpEnv } from "./types.ts";

/** A readiness check: resolves when the dependency is usable, throws (or resolves false) when not. */
export type ReadinessCheck = () => Promise<unknown>;

/** Options of the health routes. */
export interface HealthRouteOptions {
  /** Per-check deadline. Default 3 s. */
  timeoutMs?: number;
  /** How long one readiness result answers later probes. Default 2 s; 0 runs the checks on every probe. */
  cacheMs?: number;
  logger?: Logger;
}

interface Readiness {
  status: 200 | 503;
  body: { status: "ready" | "unavailable"; checks: Record<string, "ok" | "failed">; failed?: string[] };
}

/**
 * Serves `/healthz` (the process answers) and `/readyz` (every named check passes within the timeout).
 * `/readyz` is public and its checks call GitHub and the IdP, so concurrent probes share one run and a result
 * is reused for `cacheMs`: a flood of probes cannot turn into a flood of upstream calls.
 */
export function mountHealthRoutes(
  app: Hono<HttpEnv>,
  checks: Record<string, ReadinessCheck>,
  options: HealthRouteOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const cacheMs = options.cacheMs ?? 2_000;
  const names = Object.keys(checks);
  let inFlight: Promise<Readiness> | undefined;
  let cached: { at: number; readiness: Readiness } | undefined;

  const runCheck = async (name: string): Promise<boolean> => {
    const check = checks[name];
    if (!check) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      return (await Promise.race([check(), timeout])) !== false;
    } catch (error) {
      // Details go to the log only: /readyz may be reachable by more people than the logs are.
      options.logger?.warn(
        { check: name, err: error instanceof Error ? error.message : String(error) },
        "readiness check failed",
      );
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  const evaluate = async (): Promise<Readiness> => {
    const results = await Promise.all(names.map(runCheck));
    const failed = names.filter((_, i) => !results[i]);
    return {
      status: failed.length === 0 ? 200 : 503,
      body: {
        status: failed.length === 0 ? "ready" : "unavailable",
        checks: Object.fromEntries(names.map((name, i) => [name, results[i] ? "ok" : "failed"])),
        ...(failed.length > 0 ? { failed } : {}),
      },
    };
  };

  const readiness = (): Promise<Readiness> => {
    if (cached && Date.now() - cached.at < cacheMs) return Promise.resolve(cached.readiness);
    inFlight ??= evaluate()
      .then((result) => {
        cached = { at: Date.now(), readiness: result };
        return result;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, { "Cache-Control": "no-store" }));
  app.get("/readyz", async (c) => {
    const { status, body } = await readiness();
    return c.json(body, status, { "Cache-Control": "no-store" });
  });
}
