/**
 * The setup command's local web page (Hono on 127.0.0.1): shows what will be created, POSTs the manifest form to
 * GitHub with a random `state`, takes GitHub's redirect back (`code`, `state` checked in constant time, once),
 * and ends on a page linking to the App's installation page.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { html } from "hono/html";
import { isLoopbackHostname } from "../http/loopback.ts";
import type { GitHubAppManifest } from "./app-manifest.ts";

/** What the page needs from the command. */
export interface SetupPageOptions {
  /** Where the form goes: `<github web URL>/organizations/<org>/settings/apps/new`. */
  createUrl: string;
  org: string;
  /** The manifest for a redirect to `<page origin>/callback`. */
  manifest: (pageOrigin: string) => GitHubAppManifest;
  /** Runs the rest of the setup with the code; resolves with the installation page URL and lines to show. */
  complete: (code: string) => Promise<{ installUrl: string; summary: string[] }>;
  /** Told once the flow ended, with its error if it failed (the command then exits). */
  onDone: (error?: unknown) => void;
}

function sameState(expected: string, given: string | undefined): boolean {
  if (!given || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

const page = (title: string, body: unknown) => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}</style>
</head><body>${body}</body></html>`;

/** Builds the page's Hono app; `state` is fresh per run. */
export function createSetupPage(options: SetupPageOptions): { app: Hono; state: string } {
  const state = randomBytes(24).toString("base64url");
  let used = false;
  const app = new Hono();

  // The page lives on loopback; a foreign Host is a DNS-rebinding page trying to read `state` (or to have the
  // redirect URL built from its own name).
  app.use("*", async (c, next) => {
    if (!isLoopbackHostname(new URL(c.req.url).hostname))
      return c.text("This page only answers on 127.0.0.1 or localhost.", 403);
    await next();
  });

  app.get("/", (c) => {
    const origin = new URL(c.req.url).origin;
    const manifest = options.manifest(origin);
    const action = `${options.createUrl}?state=${encodeURIComponent(state)}`;
    const permissions = Object.entries(manifest.default_permissions);
    return c.html(
      page(
        "repogate: create the GitHub App",
        html`<h1>Create the repogate GitHub App for ${options.org}</h1>
<p>GitHub will create an App named <strong>${manifest.name}</strong> owned by <strong>${options.org}</strong> with:</p>
<ul>
  <li>permissions: ${permissions.map(([name, level]) => `${name}: ${level}`).join(", ")} (nothing else)</li>
  <li>webhook: <code>${manifest.hook_attributes.url}</code>, events ${manifest.default_events.join(", ")}</li>
  <li>homepage: <code>${manifest.url}</code>; after creation GitHub sends you back to <code>${manifest.redirect_url}</code></li>
</ul>
<p>The App's private key goes straight into AWS KMS; it is never written to disk.</p>
<pre id="manifest">${JSON.stringify(manifest, null, 2)}</pre>
<form method="post" action="${action}">
  <input type="hidden" name="manifest" value="${JSON.stringify(manifest)}">
  <button type="submit" id="create-on-github">Create the App on GitHub</button>
</form>`,
      ),
    );
  });

  app.get("/callback", async (c) => {
    if (!sameState(state, c.req.query("state"))) {
      // Not GitHub's redirect for this run (or a forged one): refuse and keep waiting for the real one.
      return c.html(
        page(
          "repogate: wrong state",
          html`<h1>This link does not belong to this setup run</h1><p>The <code>state</code> does not match. Start from the page the command printed.</p>`,
        ),
        400,
      );
    }
    if (used) {
      return c.html(page("repogate: done", html`<h1>This setup run has finished already.</h1>`), 409);
    }
    used = true;
    const code = c.req.query("code");
    try {
      if (!code) throw new Error("GitHub's redirect carried no code");
      const result = await options.complete(code);
      options.onDone();
      return c.html(
        page(
          "repogate: GitHub App ready",
          html`<h1 id="done">The GitHub App is ready</h1>
<pre id="summary">${result.summary.join("\n")}</pre>
<p><a id="install" href="${result.installUrl}">Install the App</a> on the organizations whose repositories repogate may read (selected repositories where you can).</p>`,
        ),
      );
    } catch (error) {
      options.onDone(error);
      return c.html(
        page(
          "repogate: setup failed",
          html`<h1 id="failed">Setup failed</h1><p id="error">${error instanceof Error ? error.message : String(error)}</p>`,
        ),
        500,
      );
    }
  });

  return { app, state };
}
