/**
 * Repository metadata, branches, refs and languages:
 * `GET /repos/{owner}/{repo}[/branches[/{branch}]|/git/ref/{ref}|/languages]`.
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

const DOCS = {
  repo: "https://docs.github.com/rest/repos/repos#get-a-repository",
  languages: "https://docs.github.com/rest/repos/repos#list-repository-languages",
  branches: "https://docs.github.com/rest/branches/branches#list-branches",
  branch: "https://docs.github.com/rest/branches/branches#get-a-branch",
  ref: "https://docs.github.com/rest/git/refs#get-a-reference",
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

  routes.get("/repos/:owner/:repo", async (c) => {
    const repo = repositoryForCaller(c, c.req.param("owner"), c.req.param("repo"), {
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

  // `heads/<branch>` or `tags/<tag>`; octokit sends the slash encoded (`tags%2Fv1.0.0`), Hono decodes it.
  routes.get("/repos/:owner/:repo/git/ref/:ref{.+}", async (c) => {
    const repo = contentsRepo(c, DOCS.ref);
    const store = c.get("state").store;
    const ref = c.req.param("ref");
    const slash = ref.indexOf("/");
    const namespace = slash > 0 ? ref.slice(0, slash) : "";
    const name = ref.slice(slash + 1);
    const candidates =
      namespace === "heads"
        ? await store.listBranches(repo)
        : namespace === "tags"
          ? await store.listTags(repo)
          : [];
    const found = candidates.find((r) => r.name === name);
    if (!found) throw new GitHubApiError(404, "Not Found", { documentationUrl: DOCS.ref });
    const base = `${c.get("base")}/repos/${repo.fullName}`;
    return githubJson(c, {
      ref: `refs/${ref}`,
      node_id: Buffer.from(`04:Ref${repo.id}:refs/${ref}`).toString("base64"),
      url: `${base}/git/refs/${ref}`,
      // Annotated tags are peeled to their commit here; GitHub answers with the tag object (type "tag").
      object: { type: "commit", sha: found.sha, url: `${base}/git/commits/${found.sha}` },
    });
  });

  return routes;
}
