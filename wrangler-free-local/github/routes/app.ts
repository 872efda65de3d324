/** App-authenticated endpoints: the App itself and its installations (`Authorization: Bearer <App JWT>`). */
import { Hono } from "hono";
import type { InstallationDefinition } from "../config/app-config.ts";
import { requireApp } from "../http/access.ts";
import type { EmulatorContext, EmulatorEnv } from "../http/context.ts";
import { notFound } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";
import { paginate } from "../http/pagination.ts";
import { renderApp, renderInstallation } from "../render/installation.ts";

const DOCS = {
  getInstallation: "https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app",
  orgInstallation:
    "https://docs.github.com/rest/apps/apps#get-an-organization-installation-for-the-authenticated-app",
  userInstallation:
    "https://docs.github.com/rest/apps/apps#get-a-user-installation-for-the-authenticated-app",
  repoInstallation:
    "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app",
};

function installationBody(c: EmulatorContext, installation: InstallationDefinition): Record<string, unknown> {
  const state = c.get("state");
  return renderInstallation(
    c.get("base"),
    state.config.app,
    installation,
    state.installations.accountId(installation.account.login),
  );
}

/** `GET /app`, `GET /app/installations[/{id}]`, `GET /orgs|users/{x}/installation`, `GET /repos/{o}/{r}/installation`. */
export function appRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.get("/app", (c) => {
    requireApp(c);
    const state = c.get("state");
    const { app } = state.config;
    return githubJson(
      c,
      renderApp(
        c.get("base"),
        app,
        state.installations.accountId(app.owner.login),
        state.installations.list().length,
      ),
    );
  });

  routes.get("/app/installations", (c) => {
    requireApp(c);
    const all = c.get("state").installations.list();
    return githubJson(
      c,
      paginate(c, all).map((i) => installationBody(c, i)),
    );
  });

  routes.get("/app/installations/:id{[0-9]+}", (c) => {
    requireApp(c);
    const installation = c.get("state").installations.byId(Number(c.req.param("id")));
    if (!installation) throw notFound(DOCS.getInstallation);
    return githubJson(c, installationBody(c, installation));
  });

  routes.get("/orgs/:org/installation", (c) => {
    requireApp(c);
    const installation = c.get("state").installations.byAccount(c.req.param("org"));
    if (installation?.account.type !== "Organization") throw notFound(DOCS.orgInstallation);
    return githubJson(c, installationBody(c, installation));
  });

  routes.get("/users/:username/installation", (c) => {
    requireApp(c);
    // GitHub resolves organizations here too: an org is a user account for this lookup.
    const installation = c.get("state").installations.byAccount(c.req.param("username"));
    if (!installation) throw notFound(DOCS.userInstallation);
    return githubJson(c, installationBody(c, installation));
  });

  routes.get("/repos/:owner/:repo/installation", (c) => {
    requireApp(c);
    const state = c.get("state");
    const repo = state.store.getRepository(c.req.param("owner"), c.req.param("repo"));
    const installation = repo && state.installations.forRepository(repo);
    if (!installation) throw notFound(DOCS.repoInstallation);
    return githubJson(c, installationBody(c, installation));
  });

  return routes;
}
