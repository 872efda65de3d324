import { isVendored, languageMatches, languageOf } from "./languages.ts";
import { EMPTY_TREE_SHA, type RepoGit } from "./repo-git.ts";
import type { CodeSearchQuery, RepositoryRecord } from "./types.ts";

/** How many matching lines a hit carries as `fragments`. */
const MAX_FRAGMENTS = 5;
const MAX_FRAGMENT_LENGTH = 200;

/** Paths of binary files in a commit, as git's own binary detection (numstat `-`) sees them. */
async function binaryPaths(git: RepoGit, commit: string): Promise<Set<string>> {
  const output = await git.text([
    "diff",
    "--numstat",
    "-z",
    "--no-renames",
    "--end-of-options",
    EMPTY_TREE_SHA,
    commit,
  ]);
  const binaries = new Set<string>();
  for (const record of output.split("\0")) {
    if (record.startsWith("-\t-\t")) binaries.add(record.slice(4));
  }
  return binaries;
}

/** Bytes per linguist language in a commit, largest first; binaries and vendored paths are skipped. */
export async function languageBytes(git: RepoGit, commit: string): Promise<Record<string, number>> {
  const [entries, binaries] = await Promise.all([git.listTree(commit, true), binaryPaths(git, commit)]);
  const totals = new Map<string, number>();
  for (const entry of entries) {
    if (
      entry.type !== "blob" ||
      entry.mode === "120000" ||
      binaries.has(entry.path) ||
      isVendored(entry.path)
    )
      continue;
    const language = languageOf(entry.path);
    if (language) totals.set(language, (totals.get(language) ?? 0) + (entry.size ?? 0));
  }
  return Object.fromEntries([...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

/** The `path:` qualifier: a directory or file prefix that must start at a path segment boundary. */
function pathMatches(filePath: string, qualifier: string): boolean {
  const q = qualifier.replace(/^\/+/, "").replace(/\/+$/, "");
  if (q === "") return true;
  return filePath.startsWith(q) || `/${filePath}/`.includes(`/${q}/`);
}

function passesQualifiers(filePath: string, query: CodeSearchQuery): boolean {
  if (query.path !== undefined && !pathMatches(filePath, query.path)) return false;
  if (query.extension !== undefined) {
    const ext = query.extension.replace(/^\./, "").toLowerCase();
    if (!filePath.toLowerCase().endsWith(`.${ext}`)) return false;
  }
  if (query.language !== undefined && !languageMatches(filePath, query.language)) return false;
  return true;
}

export interface RepoSearchHit {
  path: string;
  blobSha: string;
  fragments: string[];
}

/** Searches one commit with `git grep`: every term must occur somewhere in the file, case-insensitively. */
export async function searchCommit(
  git: RepoGit,
  commit: string,
  query: CodeSearchQuery,
): Promise<RepoSearchHit[]> {
  const entries = await git.listTree(commit, true);
  const blobs = new Map(
    entries.filter((e) => e.type === "blob" && e.mode !== "120000").map((e) => [e.path, e.sha]),
  );
  const terms = query.terms.filter((t) => t.trim() !== "");
  if (terms.length === 0) {
    // Qualifier-only searches list the files that pass the qualifiers.
    if (query.path === undefined && query.extension === undefined && query.language === undefined) return [];
    return [...blobs.entries()]
      .filter(([p]) => passesQualifiers(p, query))
      .map(([p, sha]) => ({ path: p, blobSha: sha, fragments: [] }));
  }
  const args = ["grep", "-I", "-i", "-n", "-z", "--no-color", "--fixed-strings", "--all-match"];
  for (const term of terms) args.push("-e", term);
  // grep rejects --end-of-options after -e; the commit is a resolved 40-hex id, never an option.
  args.push(commit, "--");
  const { stdout } = await git.run(args, { okExitCodes: [1] });
  const prefix = `${commit}:`;
  const hits = new Map<string, RepoSearchHit>();
  for (const line of stdout.toString("utf8").split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const [location = "", , text = ""] = line.split("\0");
    const filePath = location.slice(prefix.length);
    if (!passesQualifiers(filePath, query)) continue;
    let hit = hits.get(filePath);
    if (!hit) {
      const blobSha = blobs.get(filePath);
      if (!blobSha) continue;
      hit = { path: filePath, blobSha, fragments: [] };
      hits.set(filePath, hit);
    }
    if (hit.fragments.length < MAX_FRAGMENTS) hit.fragments.push(text.slice(0, MAX_FRAGMENT_LENGTH));
  }
  return [...hits.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Stable display order for search results: repository, then path. */
export function compareRepos(a: RepositoryRecord, b: RepositoryRecord): number {
  return a.fullName.toLowerCase() < b.fullName.toLowerCase() ? -1 : 1;
}
