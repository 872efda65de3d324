/** `GET /app/hook/config` (App JWT): the App's webhook settings, the secret masked as GitHub masks it. */
import { Hono } from "hono";
import { requireApp } from "../http/access.ts";
import type { EmulatorEnv } from "../http/context.ts";
import { notFound } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";

const DOCS = "https://docs.github.com/rest/apps/webhooks#get-a-webhook-configuration-for-an-app";

/** The App webhook configuration route. */
export function appHookRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();
  routes.get("/app/hook/config", (c) => {
    requireApp(c);
    const hook = c.get("state").webhooks.config();
    if (!hook) throw notFound(DOCS);
    return githubJson(c, {
      content_type: "json",
      insecure_ssl: "0",
      url: hook.url,
      ...(hook.secret ? { secret: "********" } : {}),
    });
  });
  return routes;
}
