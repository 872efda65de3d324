/**
 * The App manifest flow (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
 * the admin's browser POSTs `manifest` to `/organizations/{org}/settings/apps/new?state=…`, confirms on the
 * create page, and is redirected to the manifest's `redirect_url` with a one-time `code`; the code converts
 * once, within an hour, with `POST /app-manifests/{code}/conversions` into the App, its key and its secrets.
 * The new App becomes the App the emulator plays (same installations), so it is usable right away.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppDefinition } from "../config/app-config.ts";
import type { EmulatorEnv } from "../http/context.ts";
import { GitHubApiError, notFound, validationFailed } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";
import { type AppManifest, appManifestSchema } from "../manifest/manifest-codes.ts";
import { renderApp } from "../render/installation.ts";

const CONVERSION_DOCS = "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest";
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

function parseManifest(text: string | undefined): AppManifest {
  if (!text) throw validationFailed("The manifest form field is missing.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GitHubApiError(400, "Problems parsing JSON", { code: "BAD_JSON" });
  }
  const parsed = appManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw validationFailed(
      `Invalid manifest: ${issue?.path.join(".") || "manifest"} ${issue?.message ?? ""}`,
    );
  }
  return parsed.data;
}

function slugFor(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "app"
  );
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function clientIdSuffix(): string {
  return Array.from(randomBytes(14), (b) => ALNUM[b % ALNUM.length]).join("");
}

function createPage(org: string, manifestText: string, manifest: AppManifest, state: string | undefined) {
  const permissions = Object.entries(manifest.default_permissions);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Create GitHub App for ${org}</title></head>
<body>
  <h1>Create GitHub App for ${org}</h1>
  <p>GitHub App name: <strong id="app-name">${manifest.name}</strong></p>
  <p>Webhook URL: <code>${manifest.hook_attributes?.url ?? "(none)"}</code></p>
  <h2>Permissions</h2>
  <ul>${permissions.map(([name, level]) => html`<li>${name}: ${level}</li>`)}</ul>
  <h2>Events</h2>
  <ul>${manifest.default_events.map((event) => html`<li>${event}</li>`)}</ul>
  <form method="post" action="/organizations/${org}/settings/apps/new/create">
    <input type="hidden" name="manifest" value="${manifestText}">
    ${state === undefined ? "" : html`<input type="hidden" name="state" value="${state}">`}
    <button type="submit" id="create-app">Create GitHub App for ${org}</button>
  </form>
</body></html>`;
}

/** Routes of the manifest flow (web pages and the conversion endpoint). */
export function manifestRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.post("/organizations/:org/settings/apps/new", async (c) => {
    const org = c.req.param("org");
    if (!ORG_LOGIN.test(org)) throw notFound();
    const form = await c.req.parseBody();
    const manifestText = typeof form.manifest === "string" ? form.manifest : undefined;
    const manifest = parseManifest(manifestText);
    return c.html(createPage(org, manifestText as string, manifest, c.req.query("state")));
  });

  routes.post("/organizations/:org/settings/apps/new/create", async (c) => {
    const org = c.req.param("org");
    if (!ORG_LOGIN.test(org)) throw notFound();
    const form = await c.req.parseBody();
    const manifest = parseManifest(typeof form.manifest === "string" ? form.manifest : undefined);
    const code = c.get("state").manifests.issue(manifest, org);
    const base = manifest.redirect_url ?? `${c.get("base")}/apps/${slugFor(manifest.name)}`;
    const target = new URL(base);
    target.searchParams.set("code", code);
    if (typeof form.state === "string") target.searchParams.set("state", form.state);
    return c.redirect(target.toString(), 302);
  });

  routes.post("/app-manifests/:code/conversions", (c) => {
    const state = c.get("state");
    const pending = state.manifests.consume(c.req.param("code"));
    // GitHub answers an unknown, used or expired code alike.
    if (!pending) throw notFound(CONVERSION_DOCS);
    const { manifest, owner } = pending;
    const now = new Date().toISOString();
    const app: AppDefinition = {
      id: state.config.app.id + 1,
      client_id: `Iv23li${clientIdSuffix()}`,
      slug: slugFor(manifest.name),
      name: manifest.name,
      description: manifest.description ?? null,
      external_url: manifest.url,
      owner: { login: owner, type: "Organization" },
      permissions: manifest.default_permissions,
      events: manifest.default_events,
      created_at: now,
      updated_at: now,
    };
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const webhookSecret = manifest.hook_attributes ? randomBytes(20).toString("hex") : null;
    const clientSecret = randomBytes(20).toString("hex");
    // From here on the emulator plays the new App: its JWTs, its webhook, the existing installations.
    state.config.app = app;
    state.appKeys.replace(pair.publicKey);
    state.webhooks.configure(
      manifest.hook_attributes
        ? {
            url: manifest.hook_attributes.url,
            secret: webhookSecret ?? undefined,
            active: manifest.hook_attributes.active,
          }
        : undefined,
    );
    return githubJson(
      c,
      {
        ...renderApp(c.get("base"), app, state.installations.accountId(owner), 0),
        client_secret: clientSecret,
        webhook_secret: webhookSecret,
        pem: pair.privateKey.export({ type: "pkcs1", format: "pem" }),
      },
      201,
    );
  });

  return routes;
}
