import { CatFileBatch, type GitResult, type GitRunner, type GitRunOptions } from "./git-runner.ts";
import { isFullSha, isSafeRefName, isShaLike } from "./ref-guard.ts";
import type { TreeEntry } from "./types.ts";

/** The empty tree's id: diffing against it shows a root commit's files as added. */
export const EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** Parses `git ls-tree -l -z` output. */
export function parseLsTree(output: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let start = 0;
  while (start < output.length) {
    const end = output.indexOf(0, start);
    const record = output.subarray(start, end < 0 ? output.length : end);
    start = end < 0 ? output.length : end + 1;
    const tab = record.indexOf(0x09);
    if (tab < 0) continue;
    const [mode, type, sha, size] = record.subarray(0, tab).toString("utf8").trim().split(/\s+/);
    if (!mode || !type || !sha) continue;
    const entry: TreeEntry = {
      path: record.subarray(tab + 1).toString("utf8"),
      mode,
      type: type as TreeEntry["type"],
      sha,
    };
    if (type === "blob" && size !== undefined && size !== "-") entry.size = Number(size);
    entries.push(entry);
  }
  return entries;
}

/**
 * Git access for one bare repository: commands run with `--git-dir` and literal pathspecs, plus a
 * long-lived `cat-file --batch` for object reads. Results keyed by immutable object ids are cached.
 */
export class RepoGit {
  readonly batch: CatFileBatch;
  private readonly treeCache = new Map<string, Promise<TreeEntry[]>>();

  constructor(
    readonly runner: GitRunner,
    readonly gitDir: string,
  ) {
    this.batch = new CatFileBatch(runner, gitDir);
  }

  /** Runs a git command against this repository; pathspecs are always literal (no `:(glob)` magic). */
  run(args: readonly string[], options?: GitRunOptions): Promise<GitResult> {
    return this.runner.run(
      ["--git-dir", this.gitDir, "--literal-pathspecs", "-c", "core.quotePath=false", ...args],
      options,
    );
  }

  /** Text output of a git command. */
  async text(args: readonly string[], options?: GitRunOptions): Promise<string> {
    return (await this.run(args, options)).stdout.toString("utf8");
  }

  /** `rev-parse --verify` of an already validated revision expression; undefined when it does not resolve. */
  async verify(revision: string): Promise<string | undefined> {
    const { stdout, exitCode } = await this.run(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", revision],
      {
        okExitCodes: [1, 128],
      },
    );
    const sha = stdout.toString("utf8").trim();
    return exitCode === 0 && isFullSha(sha) ? sha : undefined;
  }

  /** Resolves a branch, tag, `refs/...` name or (short) SHA to a commit; undefined for anything unsafe or unknown. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    if (!isSafeRefName(ref)) return undefined;
    const candidates = ref.startsWith("refs/") ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
    for (const candidate of candidates) {
      const sha = await this.verify(`${candidate}^{commit}`);
      if (sha) return sha;
    }
    if (isShaLike(ref)) return await this.verify(`${ref.toLowerCase()}^{commit}`);
    return undefined;
  }

  /** Object type of a (validated) SHA, or undefined when it does not exist. */
  async objectType(sha: string): Promise<string | undefined> {
    if (!isShaLike(sha)) return undefined;
    const { stdout, exitCode } = await this.run(["cat-file", "-t", "--end-of-options", sha], {
      okExitCodes: [1, 128],
    });
    return exitCode === 0 ? stdout.toString("utf8").trim() : undefined;
  }

  /** Entries of a tree (by tree or commit SHA); recursive listings include the subtrees themselves. */
  listTree(treeIsh: string, recursive: boolean): Promise<TreeEntry[]> {
    const key = `${recursive ? "r" : "d"}:${treeIsh}`;
    let cached = this.treeCache.get(key);
    if (!cached) {
      const args = ["ls-tree", "-l", "-z", ...(recursive ? ["-r", "-t"] : []), "--end-of-options", treeIsh];
      cached = this.run(args).then((r) => parseLsTree(r.stdout));
      // Only full object ids are immutable; anything else must be re-read.
      if (isFullSha(treeIsh)) {
        this.treeCache.set(key, cached);
        cached.catch(() => this.treeCache.delete(key));
      }
    }
    return cached;
  }

  close(): void {
    this.batch.close();
  }
}
