/**
 * History: `GET /repos/{o}/{r}/commits`, `/commits/{ref}` and `/compare/{base}...{head}`, in JSON and
 * in the diff, patch and sha media types.
 */
import { Hono } from "hono";
import type { EmulatorEnv } from "../http/context.ts";
import { GitHubApiError, notFound, validationFailed } from "../http/errors.ts";
import { githubJson, githubText } from "../http/json.ts";
import { vendorContentType } from "../http/media-type.ts";
import { linkHeader, readPage } from "../http/pagination.ts";
import { renderCommit, renderCommitPatch, renderDiffEntry } from "../render/commit.ts";
import { encodePath } from "../render/paths.ts";
import { repoApiUrl, repoHtmlUrl } from "../render/repository.ts";
import { NoCommonAncestorError } from "../store/index.ts";
import { contentsRepo } from "./repos.ts";

const DOCS = {
  list: "https://docs.github.com/rest/commits/commits#list-commits",
  get: "https://docs.github.com/rest/commits/commits#get-a-commit",
  compare: "https://docs.github.com/rest/commits/commits#compare-two-commits",
};

/** GitHub caps compare responses at 250 commits and 300 files. */
const COMPARE_MAX_COMMITS = 250;
const COMPARE_MAX_FILES = 300;

function isoOrUndefined(value: string | undefined, field: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (Number.isNaN(Date.parse(value))) {
    throw new GitHubApiError(400, `Invalid time value for '${field}'`, {
      code: "BAD_TIME",
      documentationUrl: DOCS.list,
    });
  }
  return value;
}

/**
 * Splits `base...head` (or `base..head`); refs may contain `/`. `owner:ref` is accepted only when `owner` is this
 * repository's owner: any other prefix names another repository of the fork network, which the emulator does not
 * have and a narrowed token could not read, so it is undefined (404) rather than quietly read here.
 */
function splitBasehead(basehead: string, owner: string): { base: string; head: string } | undefined {
  const at = basehead.indexOf("...");
  const [base, head] = at >= 0 ? [basehead.slice(0, at), basehead.slice(at + 3)] : basehead.split("..", 2);
  if (!base || !head) return undefined;
  const ownRef = (ref: string): string | undefined => {
    const colon = ref.indexOf(":");
    if (colon < 0) return ref;
    return ref.slice(0, colon).toLowerCase() === owner.toLowerCase() ? ref.slice(colon + 1) : undefined;
  };
  const [ownBase, ownHead] = [ownRef(base), ownRef(head)];
  return ownBase && ownHead ? { base: ownBase, head: ownHead } : undefined;
}

/** History routes. */
export function commitRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.get("/repos/:owner/:repo/commits", async (c) => {
    const repo = contentsRepo(c, DOCS.list);
    const store = c.get("state").store;
    const ref = c.req.query("sha") || repo.defaultBranch;
    const sha = await store.resolveCommit(repo, ref);
    if (!sha) throw notFound(DOCS.list);
    const page = readPage(c);
    const filter = {
      sha,
      path: c.req.query("path") || undefined,
      since: isoOrUndefined(c.req.query("since"), "since"),
      until: isoOrUndefined(c.req.query("until"), "until"),
      author: c.req.query("author") || undefined,
    };
    const { commits, hasMore } = await store.listCommits(repo, {
      ...filter,
      skip: page.offset,
      limit: page.perPage,
    });
    // GitHub names the last page whenever there is a next one; only then is the total worth counting.
    const lastPage = hasMore ? Math.ceil((await store.countCommits(repo, filter)) / page.perPage) : undefined;
    const link = linkHeader(c, page, { hasNext: hasMore, lastPage });
    if (link) c.header("link", link);
    return githubJson(
      c,
      commits.map((commit) => renderCommit(c.get("base"), repo, commit)),
    );
  });

  routes.get("/repos/:owner/:repo/commits/:ref{.+}", async (c) => {
    const repo = contentsRepo(c, DOCS.get);
    const store = c.get("state").store;
    const ref = c.req.param("ref");
    const sha = await store.resolveCommit(repo, ref);
    const commit = sha && (await store.getCommit(repo, sha));
    if (!sha || !commit) {
      throw validationFailed(`No commit found for SHA: ${ref}`, undefined, DOCS.get);
    }
    const media = c.get("media");
    if (media.param === "sha") return githubText(c, commit.sha, vendorContentType(media, "sha"));
    if (media.param === "diff")
      return githubText(c, await store.getCommitDiff(repo, sha), vendorContentType(media, "diff"));
    if (media.param === "patch") {
      return githubText(
        c,
        renderCommitPatch(commit, await store.getCommitDiff(repo, sha)),
        vendorContentType(media, "patch"),
      );
    }
    const files = await store.getCommitFiles(repo, sha);
    return githubJson(c, renderCommit(c.get("base"), repo, commit, files));
  });

  routes.get("/repos/:owner/:repo/compare/:basehead{.+}", async (c) => {
    const repo = contentsRepo(c, DOCS.compare);
    const store = c.get("state").store;
    const basehead = c.req.param("basehead");
    const refs = splitBasehead(basehead, repo.owner);
    if (!refs) throw notFound(DOCS.compare);
    const [baseSha, headSha] = await Promise.all([
      store.resolveCommit(repo, refs.base),
      store.resolveCommit(repo, refs.head),
    ]);
    if (!baseSha || !headSha) throw notFound(DOCS.compare);

    const noCommonAncestor = (err: unknown): never => {
      if (err instanceof NoCommonAncestorError) {
        throw new GitHubApiError(404, `No common ancestor between ${refs.base} and ${refs.head}.`, {
          code: "NO_COMMON_ANCESTOR",
          documentationUrl: DOCS.compare,
        });
      }
      throw err;
    };
    const media = c.get("media");
    if (media.param === "diff") {
      const diff = await store.compareDiff(repo, baseSha, headSha).catch(noCommonAncestor);
      return githubText(c, diff, vendorContentType(media, "diff"));
    }
    const result = await store.compare(repo, baseSha, headSha).catch(noCommonAncestor);
    if (media.param === "patch") {
      const patches = await Promise.all(
        result.commits.map(async (commit) =>
          renderCommitPatch(commit, await store.getCommitDiff(repo, commit.sha)),
        ),
      );
      return githubText(c, patches.join(""), vendorContentType(media, "patch"));
    }

    const [baseCommit, mergeBaseCommit] = await Promise.all([
      store.getCommit(repo, baseSha),
      store.getCommit(repo, result.mergeBaseSha),
    ]);
    if (!baseCommit || !mergeBaseCommit) throw notFound(DOCS.compare);

    // Without page/per_page GitHub returns up to 250 commits; with them, that page of commits.
    const paged = c.req.query("page") !== undefined || c.req.query("per_page") !== undefined;
    let commits = result.commits.slice(0, COMPARE_MAX_COMMITS);
    if (paged) {
      const page = readPage(c, 250);
      commits = result.commits.slice(page.offset, page.offset + page.perPage);
      const link = linkHeader(c, page, {
        hasNext: page.offset + page.perPage < result.commits.length,
        lastPage: Math.max(1, Math.ceil(result.commits.length / page.perPage)),
      });
      if (link) c.header("link", link);
    }

    const base = c.get("base");
    const api = repoApiUrl(base, repo);
    const html = repoHtmlUrl(base, repo);
    const encoded = encodePath(basehead);
    return githubJson(c, {
      url: `${api}/compare/${encoded}`,
      html_url: `${html}/compare/${encoded}`,
      permalink_url: `${html}/compare/${repo.owner}:${baseSha}...${repo.owner}:${headSha}`,
      diff_url: `${html}/compare/${encoded}.diff`,
      patch_url: `${html}/compare/${encoded}.patch`,
      base_commit: renderCommit(base, repo, baseCommit),
      merge_base_commit: renderCommit(base, repo, mergeBaseCommit),
      status: result.status,
      ahead_by: result.aheadBy,
      behind_by: result.behindBy,
      total_commits: result.totalCommits,
      commits: commits.map((commit) => renderCommit(base, repo, commit)),
      files: result.files.slice(0, COMPARE_MAX_FILES).map((f) => renderDiffEntry(base, repo, headSha, f)),
    });
  });

  return routes;
}
