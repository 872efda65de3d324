import type { Hono } from "hono";
import type { Logger } from "pino";
import type { HttpEnv } from "./types.ts";

/** A readiness check: resolves when the dependency is usable, throws (or resolves false) when not. */
export type ReadinessCheck = () => Promise<unknown>;

/** Serves `/healthz` (the process answers) and `/readyz` (every named check passes within the timeout). */
export function mountHealthRoutes(
  app: Hono<HttpEnv>,
  checks: Record<string, ReadinessCheck>,
  options: { timeoutMs?: number; logger?: Logger } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 3_000;
  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, { "Cache-Control": "no-store" }));
  app.get("/readyz", async (c) => {
    const names = Object.keys(checks);
    const results = await Promise.all(
      names.map(async (name) => {
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
      }),
    );
    const failed = names.filter((_, i) => !results[i]);
    const body = {
      status: failed.length === 0 ? "ready" : "unavailable",
      checks: Object.fromEntries(names.map((name, i) => [name, results[i] ? "ok" : "failed"])),
      ...(failed.length > 0 ? { failed } : {}),
    };
    return c.json(body, failed.length === 0 ? 200 : 503, { "Cache-Control": "no-store" });
  });
}
