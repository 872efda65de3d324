import { isShaLike, normalizeRepoPath } from "./ref-guard.ts";
import type { RepoGit } from "./repo-git.ts";
import type { PathContent, TreeEntry, TreeListing } from "./types.ts";

/** GitHub's cap on entries in one (recursive) tree listing. */
export const DEFAULT_MAX_TREE_ENTRIES = 100_000;

/** Resolves a tree SHA, a commit SHA or a ref to the tree it names. */
export async function resolveTree(git: RepoGit, treeIsh: string): Promise<string | undefined> {
  const commit = await git.resolveCommit(treeIsh);
  if (commit) return await git.verify(`${commit}^{tree}`);
  if (isShaLike(treeIsh)) return await git.verify(`${treeIsh.toLowerCase()}^{tree}`);
  return undefined;
}

/** Lists a tree; recursive listings include subtrees and are cut at `maxEntries` with `truncated: true`. */
export async function readTree(
  git: RepoGit,
  treeIsh: string,
  recursive: boolean,
  maxEntries: number,
): Promise<TreeListing | undefined> {
  const sha = await resolveTree(git, treeIsh);
  if (!sha) return undefined;
  const entries = await git.listTree(sha, recursive);
  if (entries.length > maxEntries) return { sha, entries: entries.slice(0, maxEntries), truncated: true };
  return { sha, entries, truncated: false };
}

/**
 * Reads `path` at a commit (or any ref). Directory entries carry full repository paths, as the
 * contents API reports them. Unsafe paths (`..`, NUL) and missing paths give undefined.
 */
export async function readPathAt(
  git: RepoGit,
  commitIsh: string,
  rawPath: string,
): Promise<PathContent | undefined> {
  const filePath = normalizeRepoPath(rawPath);
  if (filePath === undefined) return undefined;
  const commit = await git.resolveCommit(commitIsh);
  if (!commit) return undefined;
  const rootTree = await git.verify(`${commit}^{tree}`);
  if (!rootTree) return undefined;
  const index = await git.treeIndex(rootTree);
  const root: TreeEntry = { path: "", mode: "040000", type: "tree", sha: rootTree };
  const entry = filePath === "" ? root : index.byPath.get(filePath);
  if (!entry) return undefined;
  if (entry.type === "tree") {
    return {
      type: "dir",
      path: filePath,
      sha: entry.sha,
      entries: [...(index.children.get(filePath) ?? [])],
    };
  }
  if (entry.type === "commit") return { type: "submodule", path: filePath, sha: entry.sha };
  const object = await git.batch.read(entry.sha);
  if (!object) return undefined;
  if (entry.mode === "120000") {
    return {
      type: "symlink",
      path: filePath,
      sha: entry.sha,
      size: object.size,
      target: object.content.toString("utf8"),
    };
  }
  return { type: "file", path: filePath, sha: entry.sha, size: object.size, content: object.content };
}

const README = /^readme(\.[^/]*)?$/i;

function pickReadme(entries: TreeEntry[]): TreeEntry | undefined {
  const candidates = entries.filter((e) => e.type === "blob" && README.test(e.path));
  const rank = (name: string) =>
    name === "README.md" ? 0 : name.toLowerCase() === "readme.md" ? 1 : name === "README" ? 2 : 3;
  return candidates.sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : 1))[0];
}

/** Path of the README GitHub would show for a commit: the root first, then `.github/`, then `docs/`. */
export async function findReadmePath(git: RepoGit, commitIsh: string): Promise<string | undefined> {
  const commit = await git.resolveCommit(commitIsh);
  if (!commit) return undefined;
  const rootTree = await git.verify(`${commit}^{tree}`);
  if (!rootTree) return undefined;
  const root = await git.listTree(rootTree, false);
  const atRoot = pickReadme(root);
  if (atRoot) return atRoot.path;
  for (const dir of [".github", "docs"]) {
    const sub = root.find((e) => e.type === "tree" && e.path === dir);
    if (!sub) continue;
    const found = pickReadme(await git.listTree(sub.sha, false));
    if (found) return `${dir}/${found.path}`;
  }
  return undefined;
}
