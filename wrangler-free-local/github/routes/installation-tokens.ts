/**
 * Installation access tokens: mint (`POST /app/installations/{id}/access_tokens`, App JWT), revoke
 * (`DELETE /installation/token`) and list what a token reaches (`GET /installation/repositories`).
 */
import { Hono } from "hono";
import { z } from "zod";
import { permissionsBeyondGrant } from "../auth/installations.ts";
import type { Permissions } from "../config/app-config.ts";
import { requireApp, requireInstallation, tokenRepositories } from "../http/access.ts";
import type { EmulatorEnv } from "../http/context.ts";
import { GitHubApiError, notFound, validationFailed } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";
import { paginate } from "../http/pagination.ts";
import { renderRepository } from "../render/repository.ts";
import type { RepositoryRecord } from "../store/types.ts";

const MINT_DOCS = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";
const MAX_NARROWED_REPOSITORIES = 500;

const mintBodySchema = z.object({
  repositories: z.array(z.string()).optional(),
  repository_ids: z.array(z.number().int()).optional(),
  permissions: z.record(z.string(), z.enum(["read", "write", "admin"])).optional(),
});

/** `expires_at` as GitHub writes it: seconds precision, `Z`. */
function githubTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

async function readMintBody(raw: string): Promise<z.infer<typeof mintBodySchema>> {
  if (raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new GitHubApiError(400, "Problems parsing JSON", { code: "BAD_JSON", documentationUrl: MINT_DOCS });
  }
  const result = mintBodySchema.safeParse(parsed);
  if (!result.success) {
    const first = result.error.issues[0];
    const field = first?.path.join("/") ?? "";
    throw validationFailed(
      `Invalid request.\n\nFor 'properties/${field}', ${first?.message ?? "is invalid"}.`,
      undefined,
      MINT_DOCS,
    );
  }
  return result.data;
}

/** Token endpoints. */
export function installationTokenRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.post("/app/installations/:id{[0-9]+}/access_tokens", async (c) => {
    requireApp(c);
    const state = c.get("state");
    const installation = state.installations.byId(Number(c.req.param("id")));
    if (!installation) throw notFound(MINT_DOCS);
    if (installation.suspended_at) {
      throw new GitHubApiError(403, "This installation has been suspended", {
        code: "INSTALLATION_SUSPENDED",
        documentationUrl: MINT_DOCS,
      });
    }
    const body = await readMintBody(await c.req.text());
    const reachable = state.installations.repositories(installation);

    const wantedNames = body.repositories ?? [];
    const wantedIds = body.repository_ids ?? [];
    const narrowed = wantedNames.length + wantedIds.length > 0;
    let covered: RepositoryRecord[] = reachable;
    if (narrowed) {
      if (wantedNames.length + wantedIds.length > MAX_NARROWED_REPOSITORIES) {
        throw validationFailed(
          "Too many repositories requested. A token can cover at most 500.",
          undefined,
          MINT_DOCS,
        );
      }
      const picked = new Map<number, RepositoryRecord>();
      for (const name of wantedNames) {
        const repo = reachable.find((r) => r.name.toLowerCase() === name.toLowerCase());
        if (!repo) throw notInInstallation();
        picked.set(repo.id, repo);
      }
      for (const id of wantedIds) {
        const repo = reachable.find((r) => r.id === id);
        if (!repo) throw notInInstallation();
        picked.set(repo.id, repo);
      }
      covered = [...picked.values()];
    }

    // GitHub treats `"permissions": {}` like no permissions at all: the token gets the installation's.
    const asked = body.permissions && Object.keys(body.permissions).length > 0 ? body.permissions : undefined;
    const permissions: Permissions = asked ?? installation.permissions;
    if (asked) {
      const beyond = permissionsBeyondGrant(asked, installation.permissions);
      if (beyond.length > 0) {
        throw validationFailed(
          "The permissions requested are not granted to this installation.",
          undefined,
          MINT_DOCS,
        );
      }
    }

    const repositorySelection = narrowed ? "selected" : installation.repository_selection;
    const { value, record } = state.tokens.issue({
      installationId: installation.id,
      repositoryIds: narrowed ? covered.map((r) => r.id) : undefined,
      permissions,
      repositorySelection,
    });
    state.log.recordMint({
      time: new Date().toISOString(),
      requestId: c.get("requestId"),
      installationId: installation.id,
      repositories: covered.map((r) => r.fullName),
      narrowed,
      permissions,
      ...(body.permissions ? { requestedPermissions: body.permissions } : {}),
      tokenFingerprint: record.fingerprint,
      expiresAt: record.expiresAt.toISOString(),
    });
    const response: Record<string, unknown> = {
      token: value,
      expires_at: githubTimestamp(record.expiresAt),
      permissions,
      repository_selection: repositorySelection,
    };
    if (narrowed) response.repositories = covered.map((r) => renderRepository(c.get("base"), r));
    return githubJson(c, response, 201);
  });

  routes.delete("/installation/token", (c) => {
    const caller = requireInstallation(c);
    const state = c.get("state");
    state.tokens.revoke(caller.tokenValue);
    state.log.recordRevocation({
      time: new Date().toISOString(),
      requestId: c.get("requestId"),
      installationId: caller.token.installationId,
      tokenFingerprint: caller.token.fingerprint,
    });
    return c.body(null, 204);
  });

  routes.get("/installation/repositories", (c) => {
    const caller = requireInstallation(c);
    const repos = tokenRepositories(c, caller);
    const page = paginate(c, repos);
    return githubJson(c, {
      total_count: repos.length,
      repository_selection: caller.token.repositorySelection,
      repositories: page.map((r) => renderRepository(c.get("base"), r)),
    });
  });

  return routes;
}

function notInInstallation(): GitHubApiError {
  return validationFailed(
    "There is at least one repository that does not exist or is not accessible to the parent installation.",
    undefined,
    MINT_DOCS,
  );
}
