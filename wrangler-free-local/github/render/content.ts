/** Repository contents (`content-file`, directory listings, symlinks, submodules, trees) as GitHub renders them. */
import type { RepositoryRecord, TreeEntry, TreeListing } from "../store/types.ts";
import { baseName, encodePath } from "./paths.ts";
import { repoApiUrl, repoHtmlUrl } from "./repository.ts";

/** GitHub's limits: content inline up to 1 MiB, `encoding: none` up to 100 MiB, 403 `too_large` beyond. */
export const GITHUB_CONTENT_LIMITS = { inlineContentBytes: 1024 * 1024, blobApiBytes: 100 * 1024 * 1024 };

export type ContentKind = "file" | "dir" | "symlink" | "submodule";

interface LinkSet {
  url: string;
  git_url: string | null;
  html_url: string | null;
  download_url: string | null;
  _links: { self: string; git: string | null; html: string | null };
}

function links(
  base: string,
  repo: RepositoryRecord,
  ref: string,
  path: string,
  sha: string,
  kind: ContentKind,
): LinkSet {
  const api = repoApiUrl(base, repo);
  const html = repoHtmlUrl(base, repo);
  const encoded = encodePath(path);
  const url = `${api}/contents/${encoded}?ref=${encodeURIComponent(ref)}`;
  const git_url =
    kind === "dir" ? `${api}/git/trees/${sha}` : kind === "submodule" ? null : `${api}/git/blobs/${sha}`;
  const html_url =
    kind === "dir"
      ? `${html}/tree/${encodePath(ref)}/${encoded}`
      : `${html}/blob/${encodePath(ref)}/${encoded}`;
  const download_url =
    kind === "file" || kind === "symlink" ? `${html}/raw/${encodePath(ref)}/${encoded}` : null;
  return { url, git_url, html_url, download_url, _links: { self: url, git: git_url, html: html_url } };
}

/** Base64 wrapped at 60 columns with `\n`, as GitHub sends `content`. */
export function githubBase64(data: Buffer): string {
  const flat = data.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += 60) lines.push(flat.slice(i, i + 60));
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** `content-file`; files over 1 MiB come with empty content and `encoding: "none"`, as on GitHub. */
export function renderFile(
  base: string,
  repo: RepositoryRecord,
  ref: string,
  file: { path: string; sha: string; size: number; content: Buffer },
  inlineContentBytes: number = GITHUB_CONTENT_LIMITS.inlineContentBytes,
): Record<string, unknown> {
  const inline = file.size <= inlineContentBytes;
  return {
    type: "file",
    encoding: inline ? "base64" : "none",
    size: file.size,
    name: baseName(file.path),
    path: file.path,
    content: inline ? githubBase64(file.content) : "",
    sha: file.sha,
    ...links(base, repo, ref, file.path, file.sha, "file"),
  };
}

/** `content-symlink`. */
export function renderSymlink(
  base: string,
  repo: RepositoryRecord,
  ref: string,
  link: { path: string; sha: string; size: number; target: string },
): Record<string, unknown> {
  return {
    type: "symlink",
    target: link.target,
    size: link.size,
    name: baseName(link.path),
    path: link.path,
    sha: link.sha,
    ...links(base, repo, ref, link.path, link.sha, "symlink"),
  };
}

/** `content-submodule`. */
export function renderSubmodule(
  base: string,
  repo: RepositoryRecord,
  ref: string,
  module: { path: string; sha: string; gitUrl: string },
): Record<string, unknown> {
  return {
    type: "submodule",
    submodule_git_url: module.gitUrl,
    size: 0,
    name: baseName(module.path),
    path: module.path,
    sha: module.sha,
    ...links(base, repo, ref, module.path, module.sha, "submodule"),
  };
}

/** One entry of a directory listing (submodules are listed as `file`, as GitHub does for compatibility). */
export function renderDirectoryEntry(
  base: string,
  repo: RepositoryRecord,
  ref: string,
  entry: TreeEntry,
  symlink: boolean,
): Record<string, unknown> {
  const kind: ContentKind =
    entry.type === "tree" ? "dir" : entry.type === "commit" ? "submodule" : symlink ? "symlink" : "file";
  const item = {
    type: kind === "submodule" ? "file" : kind,
    size: entry.type === "blob" ? (entry.size ?? 0) : 0,
    name: baseName(entry.path),
    path: entry.path,
    sha: entry.sha,
    ...links(base, repo, ref, entry.path, entry.sha, kind),
  };
  if (kind === "submodule") {
    // A submodule in a listing has no html or download page of its own here.
    item.download_url = null;
  }
  return item;
}

/** `git-tree`: entries with their blob/tree URLs and the truncation flag. */
export function renderTree(
  base: string,
  repo: RepositoryRecord,
  listing: TreeListing,
): Record<string, unknown> {
  const api = repoApiUrl(base, repo);
  return {
    sha: listing.sha,
    url: `${api}/git/trees/${listing.sha}`,
    tree: listing.entries.map((e) => {
      const item: Record<string, unknown> = { path: e.path, mode: e.mode, type: e.type, sha: e.sha };
      if (e.type === "blob") {
        item.size = e.size ?? 0;
        item.url = `${api}/git/blobs/${e.sha}`;
      } else if (e.type === "tree") {
        item.url = `${api}/git/trees/${e.sha}`;
      }
      return item;
    }),
    truncated: listing.truncated,
  };
}
