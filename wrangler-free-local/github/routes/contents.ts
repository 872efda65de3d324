/**
 * Files and trees: `GET /repos/{o}/{r}/contents/{path}`, `/readme`, `/git/trees/{sha}` with GitHub's
 * media types (JSON, raw, object) and size rules (inline up to 1 MiB, `encoding: none` up to 100 MiB,
 * 403 `too_large` beyond).
 */
import { Hono } from "hono";
import type { EmulatorContext, EmulatorEnv } from "../http/context.ts";
import { GitHubApiError, notFound } from "../http/errors.ts";
import { githubJson, githubText } from "../http/json.ts";
import { vendorContentType } from "../http/media-type.ts";
import {
  renderDirectoryEntry,
  renderFile,
  renderSubmodule,
  renderSymlink,
  renderTree,
} from "../render/content.ts";
import { baseName } from "../render/paths.ts";
import type { PathContent, RepositoryRecord } from "../store/types.ts";
import { contentsRepo } from "./repos.ts";

const DOCS = {
  contents: "https://docs.github.com/rest/repos/contents#get-repository-content",
  readme: "https://docs.github.com/rest/repos/contents#get-a-repository-readme",
  tree: "https://docs.github.com/rest/git/trees#get-a-tree",
};

/** GitHub lists at most this many entries of a directory on the contents API. */
const DIRECTORY_LISTING_LIMIT = 1000;

function tooLarge(documentationUrl: string): GitHubApiError {
  return new GitHubApiError(
    403,
    "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API, but you can use the Git Data API to request blobs up to 100 MB in size.",
    {
      code: "TOO_LARGE",
      documentationUrl,
      errors: [{ resource: "Blob", field: "data", code: "too_large" }],
    },
  );
}

/** Normalises a request path; `.`/`..` segments never reach git. */
function normalisePath(path: string): string | undefined {
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  const segments = trimmed === "" ? [] : trimmed.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) return undefined;
  return segments.join("/");
}

async function submoduleUrl(c: EmulatorContext, repo: RepositoryRecord, commitSha: string, path: string) {
  const modules = await c.get("state").store.readPath(repo, commitSha, ".gitmodules");
  if (modules?.type === "file") {
    const text = modules.content.toString("utf8");
    for (const block of text.split(/^\[submodule /m)) {
      const pathLine = /^\s*path\s*=\s*(.+?)\s*$/m.exec(block);
      const urlLine = /^\s*url\s*=\s*(.+?)\s*$/m.exec(block);
      if (pathLine?.[1] === path && urlLine?.[1]) return urlLine[1];
    }
  }
  return `${c.get("base")}/${repo.owner}/${baseName(path)}.git`;
}

/** A symlink whose target is a file of the repository is answered with that file, as GitHub does. */
async function followSymlink(
  c: EmulatorContext,
  repo: RepositoryRecord,
  commitSha: string,
  link: Extract<PathContent, { type: "symlink" }>,
): Promise<PathContent> {
  const dir = link.path.includes("/") ? link.path.slice(0, link.path.lastIndexOf("/")) : "";
  const segments: string[] = dir ? dir.split("/") : [];
  for (const part of link.target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (segments.length === 0) return link;
      segments.pop();
    } else segments.push(part);
  }
  if (link.target.startsWith("/")) return link;
  const target = await c.get("state").store.readPath(repo, commitSha, segments.join("/"));
  return target?.type === "file" ? target : link;
}

async function respondWithContent(
  c: EmulatorContext,
  repo: RepositoryRecord,
  ref: string,
  commitSha: string,
  found: PathContent,
  documentationUrl: string,
): Promise<Response> {
  const base = c.get("base");
  const media = c.get("media");
  const raw = media.param === "raw";
  const content = found.type === "symlink" ? await followSymlink(c, repo, commitSha, found) : found;
  switch (content.type) {
    case "file": {
      const limits = c.get("state").limits;
      if (content.size > limits.blobApiBytes) throw tooLarge(documentationUrl);
      if (raw) return githubText(c, content.content, vendorContentType(media, "raw"));
      return githubJson(c, renderFile(base, repo, ref, content, limits.inlineContentBytes));
    }
    case "symlink": {
      if (raw) return githubText(c, content.target, vendorContentType(media, "raw"));
      return githubJson(c, renderSymlink(base, repo, ref, content));
    }
    case "submodule": {
      const gitUrl = await submoduleUrl(c, repo, commitSha, content.path);
      return githubJson(
        c,
        renderSubmodule(base, repo, ref, { path: content.path, sha: content.sha, gitUrl }),
      );
    }
    case "dir": {
      const entries = content.entries
        .slice(0, DIRECTORY_LISTING_LIMIT)
        .map((e) => renderDirectoryEntry(base, repo, ref, e, e.mode === "120000"));
      if (media.param === "object") {
        const self = renderDirectoryEntry(
          base,
          repo,
          ref,
          { path: content.path, mode: "040000", type: "tree", sha: content.sha },
          false,
        );
        return githubJson(c, { ...self, entries });
      }
      return githubJson(c, entries);
    }
  }
}

async function getContents(c: EmulatorContext, rawPath: string): Promise<Response> {
  const repo = contentsRepo(c, DOCS.contents);
  const store = c.get("state").store;
  const ref = c.req.query("ref") || repo.defaultBranch;
  const commitSha = await store.resolveCommit(repo, ref);
  if (!commitSha) {
    throw new GitHubApiError(404, `No commit found for the ref ${ref}`, {
      code: "REF_NOT_FOUND",
      documentationUrl: DOCS.contents,
    });
  }
  const path = normalisePath(rawPath);
  const found = path === undefined ? undefined : await store.readPath(repo, commitSha, path);
  if (!found) throw notFound(DOCS.contents);
  return respondWithContent(c, repo, ref, commitSha, found, DOCS.contents);
}

/** Contents, README and tree routes. */
export function contentRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.get("/repos/:owner/:repo/contents", (c) => getContents(c, ""));
  routes.get("/repos/:owner/:repo/contents/", (c) => getContents(c, ""));
  routes.get("/repos/:owner/:repo/contents/:path{.+}", (c) => getContents(c, c.req.param("path")));

  const readme = async (c: EmulatorContext, dir: string) => {
    const repo = contentsRepo(c, DOCS.readme);
    const store = c.get("state").store;
    const ref = c.req.query("ref") || repo.defaultBranch;
    const commitSha = await store.resolveCommit(repo, ref);
    if (!commitSha) throw notFound(DOCS.readme);
    let readmePath: string | undefined;
    const folder = normalisePath(dir);
    if (folder === "") {
      readmePath = await store.findReadme(repo, commitSha);
    } else if (folder !== undefined) {
      const listing = await store.readPath(repo, commitSha, folder);
      if (listing?.type === "dir") {
        readmePath = listing.entries.find(
          (e) => e.type === "blob" && /^readme(\.[^/]*)?$/i.test(baseName(e.path)),
        )?.path;
      }
    }
    const found = readmePath === undefined ? undefined : await store.readPath(repo, commitSha, readmePath);
    if (!found || (found.type !== "file" && found.type !== "symlink")) throw notFound(DOCS.readme);
    return respondWithContent(c, repo, ref, commitSha, found, DOCS.readme);
  };
  routes.get("/repos/:owner/:repo/readme", (c) => readme(c, ""));
  routes.get("/repos/:owner/:repo/readme/:dir{.+}", (c) => readme(c, c.req.param("dir")));

  routes.get("/repos/:owner/:repo/git/trees/:sha{.+}", async (c) => {
    const repo = contentsRepo(c, DOCS.tree);
    const recursive = c.req.query("recursive") !== undefined;
    const listing = await c.get("state").store.getTree(repo, c.req.param("sha"), recursive);
    if (!listing) throw notFound(DOCS.tree);
    return githubJson(c, renderTree(c.get("base"), repo, listing));
  });

  return routes;
}
