/**
 * The data layer of the GitHub emulator: seeded git repositories read through `git` itself.
 * The HTTP routes (wrangler-free-local/github/routes) only ever talk to this interface, so the
 * wire format lives in the routes and the git plumbing lives in the store.
 */

/** A repository as the emulator knows it (seeded metadata plus facts read from git). */
export interface RepositoryRecord {
  /** Stable numeric id (derived deterministically from owner/name, so ids survive restarts). */
  id: number;
  owner: string;
  ownerId: number;
  ownerType: "Organization" | "User";
  name: string;
  /** `owner/name` with the seed's casing. */
  fullName: string;
  description: string | null;
  private: boolean;
  defaultBranch: string;
  topics: string[];
  homepage: string | null;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  /** Absolute path of the bare git repository on disk. */
  gitDir: string;
}

export interface GitPerson {
  name: string;
  email: string;
  /** ISO-8601 UTC, e.g. 2024-01-02T03:04:05Z */
  date: string;
}

export interface CommitRecord {
  sha: string;
  treeSha: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
}

export interface FileChange {
  /** Path after the change. */
  filename: string;
  previousFilename?: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  additions: number;
  deletions: number;
  changes: number;
  /** Blob sha after the change (the old blob for removals); "0000…" never leaks out. */
  blobSha: string;
  /** Unified-diff hunks without the `diff --git`/`---`/`+++` header, as GitHub returns `patch`; absent for binary files. */
  patch?: string;
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  /** Present for blobs. */
  size?: number;
}

export interface TreeListing {
  sha: string;
  entries: TreeEntry[];
  /** True when the listing was cut at the limits GitHub applies (100,000 entries or 7 MB). */
  truncated: boolean;
}

export type PathContent =
  | { type: "file"; path: string; sha: string; size: number; content: Buffer }
  | { type: "symlink"; path: string; sha: string; size: number; target: string }
  | { type: "submodule"; path: string; sha: string }
  | { type: "dir"; path: string; sha: string; entries: TreeEntry[] };

export interface CompareResult {
  status: "ahead" | "behind" | "identical" | "diverged";
  aheadBy: number;
  behindBy: number;
  baseSha: string;
  headSha: string;
  mergeBaseSha: string;
  /** Commits reachable from head and not from base, oldest first (GitHub caps at 250). */
  commits: CommitRecord[];
  totalCommits: number;
  /** Files changed between the merge base and head (GitHub caps at 300). */
  files: FileChange[];
}

export interface CodeSearchHit {
  repository: RepositoryRecord;
  path: string;
  blobSha: string;
  /** Line fragments containing the match, for `text_matches`. */
  fragments: string[];
}

export interface CodeSearchQuery {
  /** Free-text terms, all of which must appear in the file (case-insensitive). */
  terms: string[];
  /** Restrict to these repositories (already filtered to what the caller may see). */
  repositories: RepositoryRecord[];
  /** `path:` qualifier, matched as a substring/prefix of the file path. */
  path?: string;
  /** `extension:` qualifier, without dot. */
  extension?: string;
  /** `language:` qualifier, GitHub linguist name, case-insensitive. */
  language?: string;
}

/** What `RepoStore.listCommits` lists: from which commit, filtered how, and which page. */
export interface ListCommitsOptions {
  sha: string;
  path?: string;
  since?: string;
  until?: string;
  author?: string;
  skip?: number;
  limit: number;
}

/** Read-only access to the seeded repositories. Refs are branch names, tag names or (short) commit SHAs. */
export interface RepoStore {
  listRepositories(): RepositoryRecord[];
  /** Case-insensitive lookup by owner and name. */
  getRepository(owner: string, name: string): RepositoryRecord | undefined;
  getRepositoryById(id: number): RepositoryRecord | undefined;
  listBranches(repo: RepositoryRecord): Promise<{ name: string; sha: string }[]>;
  listTags(repo: RepositoryRecord): Promise<{ name: string; sha: string }[]>;
  /** Resolves a branch, tag (peeled to its commit) or full/short commit SHA to a full commit SHA. */
  resolveCommit(repo: RepositoryRecord, ref: string): Promise<string | undefined>;
  getCommit(repo: RepositoryRecord, sha: string): Promise<CommitRecord | undefined>;
  /** Newest first, like `git log`, following first and other parents (GitHub's default order). */
  listCommits(
    repo: RepositoryRecord,
    options: ListCommitsOptions,
  ): Promise<{ commits: CommitRecord[]; hasMore: boolean }>;
  /** How many commits `listCommits` finds over all pages with the same filters (for `rel="last"`). */
  countCommits(repo: RepositoryRecord, options: Omit<ListCommitsOptions, "skip" | "limit">): Promise<number>;
  /** Files changed by a commit against its first parent (all files added for a root commit). */
  getCommitFiles(repo: RepositoryRecord, sha: string): Promise<FileChange[]>;
  /** `git diff`-style unified text as GitHub's `application/vnd.github.diff` media type returns it. */
  getCommitDiff(repo: RepositoryRecord, sha: string): Promise<string>;
  /** A tree by tree SHA or by any ref/commit SHA (GitHub accepts both on /git/trees/{sha}). */
  getTree(repo: RepositoryRecord, treeIsh: string, recursive: boolean): Promise<TreeListing | undefined>;
  /** Contents of `path` ("" for the root) at a commit. */
  readPath(repo: RepositoryRecord, commitSha: string, path: string): Promise<PathContent | undefined>;
  getBlob(repo: RepositoryRecord, blobSha: string): Promise<Buffer | undefined>;
  compare(repo: RepositoryRecord, baseSha: string, headSha: string): Promise<CompareResult>;
  /** Unified diff text between two commits (merge base to head, as GitHub's three-dot compare). */
  compareDiff(repo: RepositoryRecord, baseSha: string, headSha: string): Promise<string>;
  /** Bytes per language on the default branch, largest first. */
  languages(repo: RepositoryRecord): Promise<Record<string, number>>;
  /** Finds the README at the root of a commit (README, README.md, readme.*, …). */
  findReadme(repo: RepositoryRecord, commitSha: string): Promise<string | undefined>;
  /** Code search over the default branches of the given repositories. */
  searchCode(query: CodeSearchQuery): Promise<CodeSearchHit[]>;
}
