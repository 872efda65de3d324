/**
 * `/_emulator/*`: the control and observation API for tests driving the emulator from another
 * process. Not a GitHub path; never returns token values.
 */
import { Hono } from "hono";
import { ZodError } from "zod";
import type { EmulatorEnv } from "../http/context.ts";
import { GitHubApiError, validationFailed } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";

/** Routes under `/_emulator`. */
export function controlRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.get("/requests", (c) => {
    const { requests } = c.get("state").log;
    const method = c.req.query("method")?.toUpperCase();
    const prefix = c.req.query("path_prefix");
    const filtered = requests.filter(
      (r) => (!method || r.method === method) && (!prefix || r.path.startsWith(prefix)),
    );
    return githubJson(c, { count: filtered.length, requests: filtered });
  });

  routes.get("/tokens", (c) => {
    const state = c.get("state");
    return githubJson(c, {
      mints: state.log.mints,
      revocations: state.log.revocations,
      tokens: state.tokens.describe(),
    });
  });

  routes.get("/log", (c) => githubJson(c, c.get("state").log.snapshot()));

  routes.post("/reset-log", (c) => {
    c.get("state").log.reset();
    return c.body(null, 204);
  });

  routes.post("/reset-rate-limits", (c) => {
    c.get("state").limiter.reset();
    return c.body(null, 204);
  });

  routes.get("/faults", (c) => githubJson(c, { faults: c.get("state").faults.list() }));

  routes.post("/faults", async (c) => {
    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      throw new GitHubApiError(400, "Problems parsing JSON", { code: "BAD_JSON" });
    }
    try {
      return githubJson(c, c.get("state").faults.add(input as never), 201);
    } catch (err) {
      if (err instanceof ZodError) {
        throw validationFailed(
          `Invalid fault: ${err.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
        );
      }
      throw err;
    }
  });

  routes.delete("/faults", (c) => {
    c.get("state").faults.clear();
    return c.body(null, 204);
  });

  routes.delete("/faults/:id{[0-9]+}", (c) => {
    c.get("state").faults.clear(Number(c.req.param("id")));
    return c.body(null, 204);
  });

  routes.get("/avatars/:id", (c) => c.body(null, 204));

  return routes;
}
