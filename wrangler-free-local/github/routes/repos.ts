/**
 * Repository metadata, branches and languages: `GET /repos/{owner}/{repo}[/branches[/{branch}]|/languages]`,
 * the repository by id (`GET /repositories/{id}`), and the git ref routes of ./git-refs.ts.
 */
import { Hono } from "hono";
import { repositoryForCaller } from "../http/access.ts";
import type { EmulatorContext, EmulatorEnv } from "../http/context.ts";
import { GitHubApiError } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";
import { paginate } from "../http/pagination.ts";
import { renderBranch, renderShortBranch } from "../render/commit.ts";
import { renderFullRepository } from "../render/repository.ts";
import type { RepositoryRecord } from "../store/types.ts";
import { gitRefRoutes } from "./git-refs.ts";

const DOCS = {
  repo: "https://docs.github.com/rest/repos/repos#get-a-repository",
  languages: "https://docs.github.com/rest/repos/repos#list-repository-languages",
  branches: "https://docs.github.com/rest/branches/branches#list-branches",
  branch: "https://docs.github.com/rest/branches/branches#get-a-branch",
};

/** The repository named by the route's `:owner/:repo`, checked against the caller's token (contents: read). */
export function contentsRepo(c: EmulatorContext, documentationUrl: string): RepositoryRecord {
  return repositoryForCaller(c, c.req.param("owner") ?? "", c.req.param("repo") ?? "", {
    permission: "contents",
    level: "read",
    documentationUrl,
  });
}

/** Repository routes that need no git history walk. */
export function repositoryRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  const getRepository = async (c: EmulatorContext, owner: string, name: string) => {
    const repo = repositoryForCaller(c, owner, name, {
      permission: "metadata",
      level: "read",
      documentationUrl: DOCS.repo,
    });
    const languages = await c.get("state").store.languages(repo);
    const [language] = Object.keys(languages);
    const bytes = Object.values(languages).reduce((n, b) => n + b, 0);
    return githubJson(
      c,
      renderFullRepository(c.get("base"), repo, {
        language: language ?? null,
        sizeKb: Math.ceil(bytes / 1024),
      }),
    );
  };
  routes.get("/repos/:owner/:repo", (c) => getRepository(c, c.req.param("owner"), c.req.param("repo")));
  // GitHub's own pagination links and renamed repositories lead here; the same answer as by name.
  routes.get("/repositories/:id{[0-9]+}", (c) => {
    const repo = c.get("state").store.getRepositoryById(Number(c.req.param("id")));
    // An unknown id gets the same 404 as a repository the token does not cover.
    return getRepository(c, repo?.owner ?? "", repo?.name ?? "");
  });

  routes.get("/repos/:owner/:repo/languages", async (c) => {
    const repo = repositoryForCaller(c, c.req.param("owner"), c.req.param("repo"), {
      permission: "metadata",
      level: "read",
      documentationUrl: DOCS.languages,
    });
    return githubJson(c, await c.get("state").store.languages(repo));
  });

  routes.get("/repos/:owner/:repo/branches", async (c) => {
    const repo = contentsRepo(c, DOCS.branches);
    let branches = await c.get("state").store.listBranches(repo);
    // Emulated branches are never protected, so `protected=true` lists none.
    if (c.req.query("protected") === "true") branches = [];
    return githubJson(
      c,
      paginate(c, branches).map((b) => renderShortBranch(c.get("base"), repo, b)),
    );
  });

  routes.get("/repos/:owner/:repo/branches/:branch{.+}", async (c) => {
    const repo = contentsRepo(c, DOCS.branch);
    const store = c.get("state").store;
    const name = c.req.param("branch");
    const branch = (await store.listBranches(repo)).find((b) => b.name === name);
    const commit = branch && (await store.getCommit(repo, branch.sha));
    if (!branch || !commit) {
      throw new GitHubApiError(404, "Branch not found", {
        code: "BRANCH_NOT_FOUND",
        documentationUrl: DOCS.branch,
      });
    }
    return githubJson(c, renderBranch(c.get("base"), repo, branch.name, commit));
  });

  // Refs are repository reads too; their routes live beside these.
  routes.route("/", gitRefRoutes());

  return routes;
}
