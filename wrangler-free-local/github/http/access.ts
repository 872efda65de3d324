/**
 * Who may see what: App endpoints need the App JWT, repository endpoints an installation token
 * covering the repository (otherwise 404, as GitHub hides what a token may not see) with the
 * permission the endpoint needs (otherwise 403).
 */
import { allows } from "../auth/installations.ts";
import type { RepositoryRecord } from "../store/types.ts";
import type { Caller, EmulatorContext } from "./context.ts";
import { GitHubApiError, jwtRejected, notAccessibleByIntegration, notFound } from "./errors.ts";

type InstallationCaller = Extract<Caller, { kind: "installation" }>;

/** Requires an App JWT (GitHub answers other credentials on App endpoints with this 401). */
export function requireApp(c: EmulatorContext): void {
  if (c.get("caller").kind !== "app") throw jwtRejected("A JSON web token could not be decoded");
}

/** Requires an installation token. */
export function requireInstallation(c: EmulatorContext): InstallationCaller {
  const caller = c.get("caller");
  if (caller.kind === "installation") return caller;
  if (caller.kind === "anonymous") {
    throw new GitHubApiError(401, "Requires authentication", { code: "REQUIRES_AUTHENTICATION" });
  }
  throw new GitHubApiError(401, "Bad credentials", { code: "BAD_CREDENTIALS" });
}

/** Repositories an installation token may see (its narrowed list, or the whole installation). */
export function tokenRepositories(c: EmulatorContext, caller: InstallationCaller): RepositoryRecord[] {
  const all = c.get("state").installations.repositories(caller.installation);
  const narrowed = caller.token.repositoryIds;
  return narrowed ? all.filter((r) => narrowed.includes(r.id)) : all;
}

export interface RepoAccess {
  permission: string;
  level: "read" | "write";
  documentationUrl?: string;
}

/** Resolves `owner/repo` for the calling token, or throws GitHub's 404/403. */
export function repositoryForCaller(
  c: EmulatorContext,
  owner: string,
  name: string,
  access: RepoAccess,
): RepositoryRecord {
  const caller = requireInstallation(c);
  const repo = c.get("state").store.getRepository(owner, name);
  if (!repo || !tokenRepositories(c, caller).some((r) => r.id === repo.id)) {
    throw notFound(access.documentationUrl);
  }
  if (!allows(caller.token.permissions, access.permission, access.level)) {
    const err = notAccessibleByIntegration(access.documentationUrl);
    // GitHub names the permission the endpoint would have needed.
    err.headers["x-accepted-github-permissions"] = `${access.permission}=${access.level}`;
    throw err;
  }
  return repo;
}
