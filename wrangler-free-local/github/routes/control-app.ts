/**
 * `/_emulator/*` routes that change the App and its installations the way an admin does on github.com
 * (install, uninstall, suspend, change the repository selection, accept new permissions, generate or delete a
 * private key, set the webhook) and deliver the signed webhooks GitHub would send for each change.
 */
import { Hono } from "hono";
import { z } from "zod";
import { stableId } from "../auth/installations.ts";
import { type InstallationDefinition, parseInstallation } from "../config/app-config.ts";
import type { EmulatorContext, EmulatorEnv } from "../http/context.ts";
import { GitHubApiError, notFound, validationFailed } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";
import {
  type WebhookSender,
  webhookInstallation,
  webhookRepositories,
  webhookUser,
} from "../webhooks/payloads.ts";
import type { DeliveryRecord } from "../webhooks/webhook-sender.ts";

const permissions = z.record(z.string().regex(/^[a-z_]+$/), z.enum(["read", "write", "admin"]));

const createBody = z.object({
  id: z.number().int().positive().optional(),
  account: z.object({
    login: z.string().min(1),
    type: z.enum(["Organization", "User"]).default("Organization"),
  }),
  repository_selection: z.enum(["all", "selected"]).default("all"),
  repositories: z.array(z.string().min(1)).optional(),
  permissions: permissions.default({ contents: "read", metadata: "read" }),
  events: z.array(z.string()).default([]),
  sender: z.string().min(1).optional(),
});
const repositoriesBody = z.object({
  add: z.array(z.string().min(1)).default([]),
  remove: z.array(z.string().min(1)).default([]),
  sender: z.string().min(1).optional(),
});
const permissionsBody = z.object({ permissions, sender: z.string().min(1).optional() });
const senderBody = z.object({ sender: z.string().min(1).optional() });
const webhookBody = z.object({
  url: z.url(),
  secret: z.string().min(1).optional(),
  active: z.boolean().default(true),
});

async function readBody<T>(c: EmulatorContext, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new GitHubApiError(400, "Problems parsing JSON", { code: "BAD_JSON" });
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw validationFailed(
      `Invalid request: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}

function senderFor(login: string | undefined): WebhookSender {
  const name = login ?? "emulator-admin";
  return { login: name, id: stableId(`user:${name.toLowerCase()}`) };
}

function installationById(c: EmulatorContext): InstallationDefinition {
  const installation = c.get("state").installations.byId(Number(c.req.param("id")));
  if (!installation) throw notFound();
  return installation;
}

/** Builds and delivers one `installation` / `installation_repositories` event for a change just made. */
async function deliverInstallationEvent(
  c: EmulatorContext,
  event: "installation" | "installation_repositories",
  action: string,
  installation: InstallationDefinition,
  sender: WebhookSender,
  extra: Record<string, unknown>,
): Promise<DeliveryRecord | undefined> {
  const state = c.get("state");
  const base = c.get("base");
  const { app } = state.config;
  const payload = {
    action,
    installation: webhookInstallation(
      base,
      app,
      installation,
      state.installations.accountId(installation.account.login),
      sender,
    ),
    ...extra,
    sender: webhookUser(base, { login: sender.login, id: sender.id, type: "User" }),
  };
  return state.webhooks.deliver(event, payload, app.id);
}

function repositoryNames(c: EmulatorContext, installation: InstallationDefinition, names: string[]) {
  const state = c.get("state");
  return names.map((name) => {
    const repo = state.store.getRepository(installation.account.login, name);
    if (!repo) throw validationFailed(`no repository ${installation.account.login}/${name} in the emulator`);
    return repo;
  });
}

/** The App-administration part of the control API. */
export function controlAppRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.get("/app", (c) => {
    const state = c.get("state");
    const hook = state.webhooks.config();
    return githubJson(c, {
      app: state.config.app,
      keys: state.appKeys.list().map((k) => ({ id: k.id, created_at: k.createdAt })),
      webhook: hook ? { url: hook.url, active: hook.active, has_secret: hook.secret !== undefined } : null,
    });
  });

  routes.put("/app/webhook", async (c) => {
    const body = await readBody(c, webhookBody);
    c.get("state").webhooks.configure(body);
    return c.body(null, 204);
  });

  routes.post("/app/keys", (c) => {
    const { key, pem } = c.get("state").appKeys.generate();
    return githubJson(c, { id: key.id, created_at: key.createdAt, pem }, 201);
  });

  routes.delete("/app/keys/:id{[0-9]+}", (c) => {
    let removed: boolean;
    try {
      removed = c.get("state").appKeys.remove(Number(c.req.param("id")));
    } catch (error) {
      throw validationFailed((error as Error).message);
    }
    if (!removed) throw notFound();
    return c.body(null, 204);
  });

  routes.get("/deliveries", (c) => githubJson(c, { deliveries: c.get("state").webhooks.deliveries() }));

  routes.post("/deliveries/:id/redeliver", async (c) => {
    const state = c.get("state");
    const record = await state.webhooks.redeliver(c.req.param("id"), state.config.app.id);
    if (!record) throw notFound();
    return githubJson(c, record, 201);
  });

  routes.post("/installations", async (c) => {
    const state = c.get("state");
    const body = await readBody(c, createBody);
    const used = new Set(state.installations.list().map((i) => i.id));
    let id = body.id ?? stableId(`installation:${body.account.login.toLowerCase()}`);
    while (!body.id && used.has(id)) id++;
    let installation: InstallationDefinition;
    try {
      installation = parseInstallation({
        id,
        account: body.account,
        repository_selection: body.repository_selection,
        ...(body.repositories ? { repositories: body.repositories } : {}),
        permissions: body.permissions,
        events: body.events,
        created_at: new Date().toISOString(),
      });
      state.installations.add(installation);
    } catch (error) {
      throw validationFailed(`Invalid installation: ${(error as Error).message}`);
    }
    const sender = senderFor(body.sender);
    const delivery = await deliverInstallationEvent(c, "installation", "created", installation, sender, {
      repositories: webhookRepositories(state.installations.repositories(installation)),
      // On "created" GitHub names who asked for the installation (here: the admin who installed it).
      requester: webhookUser(c.get("base"), { login: sender.login, id: sender.id, type: "User" }),
    });
    return githubJson(c, { installation, delivery: delivery ?? null }, 201);
  });

  routes.delete("/installations/:id{[0-9]+}", async (c) => {
    const state = c.get("state");
    const installation = installationById(c);
    const body = await readBody(c, senderBody);
    const repositories = webhookRepositories(state.installations.repositories(installation));
    state.installations.remove(installation.id);
    const delivery = await deliverInstallationEvent(
      c,
      "installation",
      "deleted",
      installation,
      senderFor(body.sender),
      { repositories, requester: null },
    );
    return githubJson(c, { installation, delivery: delivery ?? null });
  });

  for (const action of ["suspend", "unsuspend"] as const) {
    routes.post(`/installations/:id{[0-9]+}/${action}`, async (c) => {
      const state = c.get("state");
      const installation = installationById(c);
      const body = await readBody(c, senderBody);
      installation.suspended_at = action === "suspend" ? new Date().toISOString() : null;
      const delivery = await deliverInstallationEvent(
        c,
        "installation",
        action,
        installation,
        senderFor(body.sender),
        {
          repositories: webhookRepositories(state.installations.repositories(installation)),
          requester: null,
        },
      );
      return githubJson(c, { installation, delivery: delivery ?? null });
    });
  }

  routes.post("/installations/:id{[0-9]+}/permissions", async (c) => {
    const state = c.get("state");
    const installation = installationById(c);
    const body = await readBody(c, permissionsBody);
    installation.permissions = body.permissions;
    const delivery = await deliverInstallationEvent(
      c,
      "installation",
      "new_permissions_accepted",
      installation,
      senderFor(body.sender),
      { repositories: webhookRepositories(state.installations.repositories(installation)), requester: null },
    );
    return githubJson(c, { installation, delivery: delivery ?? null });
  });

  routes.post("/installations/:id{[0-9]+}/repositories", async (c) => {
    const state = c.get("state");
    const installation = installationById(c);
    const body = await readBody(c, repositoriesBody);
    const added = repositoryNames(c, installation, body.add);
    const removed = repositoryNames(c, installation, body.remove);
    const before = state.installations.repositories(installation);
    const kept = before.filter((r) => !removed.some((x) => x.id === r.id));
    const next = [...kept, ...added.filter((r) => !kept.some((x) => x.id === r.id))];
    // Removing one repository from "all" turns the installation into a selection, as on GitHub.
    installation.repository_selection = "selected";
    installation.repositories = next.map((r) => r.name);
    const sender = senderFor(body.sender);
    const deliveries: DeliveryRecord[] = [];
    for (const [action, repos] of [
      ["added", added],
      ["removed", removed],
    ] as const) {
      if (repos.length === 0) continue;
      const delivery = await deliverInstallationEvent(
        c,
        "installation_repositories",
        action,
        installation,
        sender,
        {
          repository_selection: installation.repository_selection,
          repositories_added: action === "added" ? webhookRepositories(repos) : [],
          repositories_removed: action === "removed" ? webhookRepositories(repos) : [],
          requester: webhookUser(c.get("base"), { login: sender.login, id: sender.id, type: "User" }),
        },
      );
      if (delivery) deliveries.push(delivery);
    }
    return githubJson(c, { installation, deliveries });
  });

  return routes;
}
