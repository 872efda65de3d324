import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { compareRepos, languageBytes, searchCommit } from "./code-search.ts";
import { countCommits, listCommits, readCommit } from "./commit-log.ts";
import { compareCommits, compareDiffText } from "./compare.ts";
import { diffFiles, diffText } from "./file-changes.ts";
import { GitRunner } from "./git-runner.ts";
import { isShaLike } from "./ref-guard.ts";
import { buildRepository } from "./repo-builder.ts";
import { EMPTY_TREE_SHA, RepoGit } from "./repo-git.ts";
import { type LoadedSeed, loadSeeds } from "./seed-schema.ts";
import { DEFAULT_MAX_TREE_ENTRIES, findReadmePath, readPathAt, readTree } from "./tree-reader.ts";
import type { CodeSearchHit, CodeSearchQuery, CommitRecord, RepoStore, RepositoryRecord } from "./types.ts";

export interface RepoStoreOptions {
  /** Directory of `*.yaml` seed files (one repository each). */
  seedDir: string;
  /** Data directory; repositories are built under `<dataDir>/github/repos/<owner>/<name>.git`. */
  dataDir: string;
  /** Path of the git binary (default: `git` on PATH). */
  gitBinary?: string;
  /** Cap on tree listing entries before `truncated: true` (default 100,000, GitHub's limit). */
  maxTreeEntries?: number;
}

/** The store plus what the local stack needs to manage it. */
export interface LocalRepoStore extends RepoStore {
  /** Where the bare repositories live. */
  readonly reposDir: string;
  /** Full names of the repositories (re)built by this start-up; the rest were reused. */
  readonly rebuilt: string[];
  /** Stops the long-lived git processes. The store must not be used afterwards. */
  close(): Promise<void>;
}

/** A deterministic positive id below 2^31 derived from a name, so ids survive rebuilds and restarts. */
export function stableId(kind: string, name: string): number {
  const digest = createHash("sha256").update(`${kind}:${name.toLowerCase()}`).digest();
  return (digest.readUIntBE(0, 6) % 2_147_483_646) + 1;
}

function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

async function lastPush(git: RepoGit, fallback: string): Promise<string> {
  const output = await git.text([
    "for-each-ref",
    "--format=%(committerdate:unix)",
    "refs/heads",
    "refs/tags",
  ]);
  const times = output.split("\n").filter(Boolean).map(Number).filter(Number.isFinite);
  return times.length ? isoUtc(Math.max(...times) * 1000) : fallback;
}

function recordFor(seed: LoadedSeed, gitDir: string, pushedAt: string): RepositoryRecord {
  const s = seed.seed;
  return {
    id: stableId("repo", `${s.owner}/${s.name}`),
    owner: s.owner,
    ownerId: stableId("owner", s.owner),
    ownerType: s.ownerType,
    name: s.name,
    fullName: `${s.owner}/${s.name}`,
    description: s.description,
    private: s.private,
    defaultBranch: s.defaultBranch,
    topics: [...s.topics],
    homepage: s.homepage,
    createdAt: isoUtc(Date.parse(s.createdAt)),
    updatedAt: pushedAt,
    pushedAt,
    gitDir,
  };
}

/** Builds (or reuses) the seeded repositories and returns a RepoStore that reads them through git. */
export async function createRepoStore(options: RepoStoreOptions): Promise<LocalRepoStore> {
  const githubDir = path.join(path.resolve(options.dataDir), "github");
  const reposDir = path.join(githubDir, "repos");
  const homeDir = path.join(githubDir, "git-home");
  await mkdir(homeDir, { recursive: true });
  const runner = new GitRunner({ homeDir, ...(options.gitBinary ? { gitBinary: options.gitBinary } : {}) });
  const maxTreeEntries = options.maxTreeEntries ?? DEFAULT_MAX_TREE_ENTRIES;

  const seeds = await loadSeeds(options.seedDir);
  const outcomes = await Promise.all(seeds.map((seed) => buildRepository(runner, reposDir, seed)));
  const records: RepositoryRecord[] = [];
  const gits = new Map<number, RepoGit>();
  for (const [index, seed] of seeds.entries()) {
    const outcome = outcomes[index];
    if (!outcome) continue;
    const git = new RepoGit(runner, outcome.gitDir);
    const record = recordFor(seed, outcome.gitDir, await lastPush(git, seed.seed.createdAt));
    records.push(record);
    gits.set(record.id, git);
  }
  const byName = new Map(records.map((r) => [r.fullName.toLowerCase(), r]));
  const byId = new Map(records.map((r) => [r.id, r]));

  const gitOf = (repo: RepositoryRecord): RepoGit => {
    const git = gits.get(repo.id);
    if (!git) throw new Error(`repository ${repo.fullName} is not part of this store`);
    return git;
  };
  const parentOf = async (
    git: RepoGit,
    sha: string,
  ): Promise<{ commit: CommitRecord; parent: string } | undefined> => {
    const commit = await readCommit(git, sha);
    if (!commit) return undefined;
    return { commit, parent: commit.parents[0] ?? EMPTY_TREE_SHA };
  };
  const listRefs = async (repo: RepositoryRecord, prefix: string) => {
    const refs: { name: string; sha: string }[] = [];
    for (const target of (await gitOf(repo).refs()).values()) {
      // Tags of trees or blobs have no commit to report; GitHub's branch/tag lists show commits.
      if (target.ref.startsWith(prefix) && target.commit) {
        refs.push({ name: target.ref.slice(prefix.length), sha: target.commit });
      }
    }
    return refs;
  };

  const store: LocalRepoStore = {
    reposDir,
    rebuilt: seeds.filter((_, i) => outcomes[i]?.built).map((s) => `${s.seed.owner}/${s.seed.name}`),
    listRepositories: () => [...records],
    getRepository: (owner, name) => byName.get(`${owner}/${name}`.toLowerCase()),
    getRepositoryById: (id) => byId.get(id),
    listBranches: (repo) => listRefs(repo, "refs/heads/"),
    listTags: (repo) => listRefs(repo, "refs/tags/"),
    resolveCommit: (repo, ref) => gitOf(repo).resolveCommit(ref),
    getCommit: (repo, sha) => readCommit(gitOf(repo), sha),
    listCommits: (repo, listOptions) => listCommits(gitOf(repo), listOptions),
    countCommits: (repo, filter) => countCommits(gitOf(repo), filter),
    async getCommitFiles(repo, sha) {
      const git = gitOf(repo);
      const found = await parentOf(git, sha);
      if (!found) return [];
      const files = await git.memo(`files:${found.commit.sha}`, () =>
        diffFiles(git, found.parent, found.commit.sha),
      );
      return files.map((file) => ({ ...file }));
    },
    async getCommitDiff(repo, sha) {
      const git = gitOf(repo);
      const found = await parentOf(git, sha);
      return found ? await diffText(git, found.parent, found.commit.sha) : "";
    },
    getTree: (repo, treeIsh, recursive) => readTree(gitOf(repo), treeIsh, recursive, maxTreeEntries),
    readPath: (repo, commitSha, filePath) => readPathAt(gitOf(repo), commitSha, filePath),
    async getBlob(repo, blobSha) {
      if (!isShaLike(blobSha)) return undefined;
      const object = await gitOf(repo).batch.read(blobSha.toLowerCase());
      return object?.type === "blob" ? object.content : undefined;
    },
    compare: (repo, baseSha, headSha) => compareCommits(gitOf(repo), baseSha, headSha),
    compareDiff: (repo, baseSha, headSha) => compareDiffText(gitOf(repo), baseSha, headSha),
    async languages(repo) {
      const git = gitOf(repo);
      const commit = await git.resolveCommit(repo.defaultBranch);
      if (!commit) return {};
      return { ...(await git.memo(`languages:${commit}`, () => languageBytes(git, commit))) };
    },
    findReadme: (repo, commitSha) => findReadmePath(gitOf(repo), commitSha),
    async searchCode(query: CodeSearchQuery): Promise<CodeSearchHit[]> {
      const hits: CodeSearchHit[] = [];
      for (const requested of [...query.repositories].sort(compareRepos)) {
        const repo = byId.get(requested.id);
        if (!repo) continue;
        const git = gitOf(repo);
        const commit = await git.resolveCommit(repo.defaultBranch);
        if (!commit) continue;
        for (const hit of await searchCommit(git, commit, query)) hits.push({ repository: repo, ...hit });
      }
      return hits;
    },
    async close() {
      for (const git of gits.values()) git.close();
    },
  };
  return store;
}
