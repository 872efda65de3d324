/** Commits, file changes and branches in GitHub's `commit`, `diff-entry` and branch shapes. */
import type { CommitRecord, FileChange, RepositoryRecord } from "../store/types.ts";
import { encodePath } from "./paths.ts";
import { repoApiUrl, repoHtmlUrl } from "./repository.ts";
import { legacyNodeId } from "./user.ts";

/** `diff-entry`: one changed file with its patch. */
export function renderDiffEntry(
  base: string,
  repo: RepositoryRecord,
  commitSha: string,
  file: FileChange,
): Record<string, unknown> {
  const api = repoApiUrl(base, repo);
  const html = repoHtmlUrl(base, repo);
  const path = encodePath(file.filename);
  const entry: Record<string, unknown> = {
    sha: file.blobSha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.changes,
    blob_url: `${html}/blob/${commitSha}/${path}`,
    raw_url: `${html}/raw/${commitSha}/${path}`,
    contents_url: `${api}/contents/${path}?ref=${commitSha}`,
  };
  if (file.patch !== undefined) entry.patch = file.patch;
  if (file.previousFilename !== undefined) entry.previous_filename = file.previousFilename;
  return entry;
}

/**
 * `commit`. `author`/`committer` (the GitHub accounts) are null: seed commits are not linked to
 * GitHub users, which is what GitHub returns for an unknown e-mail address.
 */
export function renderCommit(
  base: string,
  repo: RepositoryRecord,
  commit: CommitRecord,
  files?: FileChange[],
): Record<string, unknown> {
  const api = repoApiUrl(base, repo);
  const html = repoHtmlUrl(base, repo);
  const body: Record<string, unknown> = {
    sha: commit.sha,
    node_id: legacyNodeId("Commit", `${repo.id}:${commit.sha}`),
    commit: {
      author: { ...commit.author },
      committer: { ...commit.committer },
      message: commit.message,
      tree: { sha: commit.treeSha, url: `${api}/git/trees/${commit.treeSha}` },
      url: `${api}/git/commits/${commit.sha}`,
      comment_count: 0,
      verification: {
        verified: false,
        reason: "unsigned",
        signature: null,
        payload: null,
        verified_at: null,
      },
    },
    url: `${api}/commits/${commit.sha}`,
    html_url: `${html}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${html}/commit/${sha}`,
    })),
  };
  if (files) {
    const additions = files.reduce((n, f) => n + f.additions, 0);
    const deletions = files.reduce((n, f) => n + f.deletions, 0);
    body.stats = { total: additions + deletions, additions, deletions };
    body.files = files.map((f) => renderDiffEntry(base, repo, commit.sha, f));
  }
  return body;
}

/** `short-branch` for branch listings. */
export function renderShortBranch(
  base: string,
  repo: RepositoryRecord,
  branch: { name: string; sha: string },
): Record<string, unknown> {
  return {
    name: branch.name,
    commit: { sha: branch.sha, url: `${repoApiUrl(base, repo)}/commits/${branch.sha}` },
    protected: false,
  };
}

/** `branch-with-protection` for `GET /repos/{o}/{r}/branches/{branch}` (emulated branches are unprotected). */
export function renderBranch(
  base: string,
  repo: RepositoryRecord,
  name: string,
  commit: CommitRecord,
): Record<string, unknown> {
  const api = repoApiUrl(base, repo);
  const encoded = encodePath(name);
  return {
    name,
    commit: renderCommit(base, repo, commit),
    _links: { self: `${api}/branches/${encoded}`, html: `${repoHtmlUrl(base, repo)}/tree/${encoded}` },
    protected: false,
    protection: {
      enabled: false,
      required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
    },
    protection_url: `${api}/branches/${encoded}/protection`,
  };
}

/** GitHub's `application/vnd.github.patch` text for one commit (mbox, as `git format-patch`). */
export function renderCommitPatch(commit: CommitRecord, diff: string): string {
  const [subject = "", ...rest] = commit.message.split("\n");
  const body = rest.join("\n").trim();
  const date = new Date(commit.author.date).toUTCString().replace("GMT", "+0000");
  return [
    `From ${commit.sha} Mon Sep 17 00:00:00 2001`,
    `From: ${commit.author.name} <${commit.author.email}>`,
    `Date: ${date}`,
    `Subject: [PATCH] ${subject}`,
    "",
    body ? `${body}\n---` : "---",
    diff.endsWith("\n") ? diff : `${diff}\n`,
  ].join("\n");
}
