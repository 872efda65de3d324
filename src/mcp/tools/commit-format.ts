import type { PolicyDecision } from "../../policy/index.ts";
import { formatBytes } from "../../policy/index.ts";
import { truncateUtf8 } from "../content.ts";
import { allowedSummary, ruleName } from "../results.ts";

/** The commit fields the tools read (a subset of GitHub's commit object). */
export interface GitHubCommit {
  sha: string;
  commit: {
    message: string;
    author?: { name?: string; email?: string; date?: string } | null;
    committer?: { name?: string; email?: string; date?: string } | null;
  };
  author?: { login?: string } | null;
  parents?: Array<{ sha: string }>;
  stats?: { additions?: number; deletions?: number; total?: number };
  files?: GitHubFile[];
}

/** A changed file as the commit and compare endpoints return it. */
export interface GitHubFile {
  filename: string;
  status?: string;
  additions?: number;
  deletions?: number;
  changes?: number;
  previous_filename?: string;
  patch?: string;
}

const MESSAGE_LIMIT = 2000;

/** One line per commit in lists: SHA, date, author, first line of the message. */
export function commitSummary(c: GitHubCommit) {
  return {
    sha: c.sha,
    date: c.commit.author?.date ?? c.commit.committer?.date ?? null,
    author: c.commit.author?.name ?? null,
    ...(c.author?.login ? { author_login: c.author.login } : {}),
    message: (c.commit.message.split("\n")[0] ?? "").slice(0, 300),
  };
}

/** A full commit: message (capped), author, committer, parents, stats. */
export function commitDetails(c: GitHubCommit) {
  return {
    sha: c.sha,
    message:
      c.commit.message.length > MESSAGE_LIMIT
        ? `${c.commit.message.slice(0, MESSAGE_LIMIT)}…`
        : c.commit.message,
    author: {
      name: c.commit.author?.name ?? null,
      email: c.commit.author?.email ?? null,
      date: c.commit.author?.date ?? null,
    },
    committer: {
      name: c.commit.committer?.name ?? null,
      email: c.commit.committer?.email ?? null,
      date: c.commit.committer?.date ?? null,
    },
    parents: (c.parents ?? []).map((p) => p.sha),
    stats: c.stats ?? null,
  };
}

/** Changed files with patches kept until their total reaches `maxBytes`; notices say what was cut. */
export function filesWithPatches(
  files: readonly GitHubFile[],
  options: { includePatches: boolean; maxBytes: number; maxFiles: number; decision: PolicyDecision },
): { files: Array<Record<string, unknown>>; notices: string[] } {
  const notices: string[] = [];
  let budget = options.maxBytes;
  let cut = 0;
  const out = files.slice(0, options.maxFiles).map((f) => {
    const item: Record<string, unknown> = {
      filename: f.filename,
      status: f.status ?? null,
      additions: f.additions ?? 0,
      deletions: f.deletions ?? 0,
      changes: f.changes ?? 0,
      ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
    };
    if (!options.includePatches || typeof f.patch !== "string") return item;
    const bytes = Buffer.from(f.patch, "utf8");
    if (bytes.byteLength <= budget) {
      item.patch = f.patch;
      budget -= bytes.byteLength;
    } else {
      const kept = truncateUtf8(f.patch, budget);
      if (kept.length > 0) item.patch = kept;
      item.patch_truncated = true;
      budget = 0;
      cut++;
    }
    return item;
  });
  if (cut > 0) {
    notices.push(
      `[TRUNCATED: patches are capped at maxFileSize ${formatBytes(options.maxBytes)} in total (set by ${ruleName(options.decision) ?? "the policy defaults"}); ${cut} file patch(es) were cut or omitted (marked patch_truncated).]`,
    );
  }
  if (files.length > options.maxFiles) {
    notices.push(
      `[TRUNCATED: ${files.length} files changed; only the first ${options.maxFiles} are listed.]`,
    );
  }
  return { files: out, notices };
}

/** Why patches are missing when the caller lacks `diff`. */
export function noDiffNotice(diff: PolicyDecision): string {
  const rule = ruleName(diff);
  return `Patches are not included: ${rule ? `${rule} does not allow diff for you` : "diff is not allowed for you on this repository"}. ${allowedSummary(diff)}`.trim();
}
