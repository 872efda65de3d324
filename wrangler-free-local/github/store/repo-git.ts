import { BoundedCache } from "./bounded-cache.ts";
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

/** Outputs larger than this are not remembered (big diffs); their command runs again when asked again. */
const MAX_REMEMBERED_OUTPUT_BYTES = 4 * 1024 * 1024;

/** A tree's entries by full path, and each directory's direct children (full paths, ls-tree order). */
export interface TreeIndex {
  byPath: ReadonlyMap<string, TreeEntry>;
  children: ReadonlyMap<string, readonly TreeEntry[]>;
}

/** A branch or tag and the commit it points at (annotated tags peeled). */
export interface RefTarget {
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** The commit, or undefined when the ref points at something else (a tag of a tree or blob). */
  commit: string | undefined;
}

/**
 * Git access for one bare repository: commands run with `--git-dir` and literal pathspecs, plus a
 * long-lived `cat-file --batch` for object reads. Results keyed by immutable object ids are cached.
 */
export class RepoGit {
  readonly batch: CatFileBatch;
  private readonly treeCache = new BoundedCache<string, Promise<TreeEntry[]>>(512);
  private readonly immutable = new BoundedCache<string, Promise<unknown>>(1024);
  private readonly knownCommits = new BoundedCache<string, true>(4096);
  private readonly outputs = new BoundedCache<string, Promise<GitResult>>(2048);
  private refsLoaded: Promise<Map<string, RefTarget>> | undefined;

  constructor(
    readonly runner: GitRunner,
    readonly gitDir: string,
  ) {
    this.batch = new CatFileBatch(runner, gitDir);
  }

  /**
   * Runs a git command against this repository; pathspecs are always literal (no `:(glob)` magic).
   * The repository does not change while the store is open (a changed seed means a new store), so a
   * command's output never changes either: each distinct read command starts one process, later
   * calls get its remembered output. Starting git blocks the event loop for milliseconds, which the
   * broker sharing the process (`repogate local`, tests, bench) would otherwise pay on every read.
   */
  run(args: readonly string[], options?: GitRunOptions): Promise<GitResult> {
    if (options?.input !== undefined || options?.env !== undefined) return this.spawn(args, options);
    const key = JSON.stringify([args, options?.okExitCodes ?? []]);
    const hit = this.outputs.get(key);
    if (hit) return hit;
    const result = this.spawn(args, options);
    this.outputs.set(key, result);
    result.then(
      (r) => {
        if (r.stdout.length > MAX_REMEMBERED_OUTPUT_BYTES) this.outputs.delete(key);
      },
      () => this.outputs.delete(key),
    );
    return result;
  }

  private spawn(args: readonly string[], options?: GitRunOptions): Promise<GitResult> {
    return this.runner.run(
      ["--git-dir", this.gitDir, "--literal-pathspecs", "-c", "core.quotePath=false", ...args],
      options,
    );
  }

  /**
   * Every path of a tree (recursively) and each directory's direct children, from one
   * `ls-tree -r -t`: after the first read of a commit, reading any other path in it starts no process.
   */
  treeIndex(treeSha: string): Promise<TreeIndex> {
    return this.memo(`index:${treeSha}`, async () => {
      const byPath = new Map<string, TreeEntry>();
      const children = new Map<string, TreeEntry[]>();
      for (const entry of await this.listTree(treeSha, true)) {
        byPath.set(entry.path, entry);
        const slash = entry.path.lastIndexOf("/");
        const parent = slash < 0 ? "" : entry.path.slice(0, slash);
        let siblings = children.get(parent);
        if (!siblings) {
          siblings = [];
          children.set(parent, siblings);
        }
        siblings.push(entry);
      }
      return { byPath, children };
    });
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

  /**
   * All branches and tags, read once: the emulator's repositories are read-only while it runs
   * (a changed seed means a new store), so one `for-each-ref` replaces a rev-parse per request.
   */
  refs(): Promise<Map<string, RefTarget>> {
    if (!this.refsLoaded) {
      const format = "%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)";
      this.refsLoaded = this.text(["for-each-ref", `--format=${format}`, "refs/heads", "refs/tags"]).then(
        (output) => {
          const refs = new Map<string, RefTarget>();
          for (const line of output.split("\n")) {
            const [ref, type, sha, peeledType, peeled] = line.split("\0");
            if (!ref || !sha) continue;
            const commit = peeledType
              ? peeledType === "commit"
                ? peeled
                : undefined
              : type === "commit"
                ? sha
                : undefined;
            refs.set(ref, { ref, commit });
          }
          return refs;
        },
      );
      this.refsLoaded.catch(() => {
        this.refsLoaded = undefined;
      });
    }
    return this.refsLoaded;
  }

  /** Resolves a branch, tag, `refs/...` name or (short) SHA to a commit; undefined for anything unsafe or unknown. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    if (!isSafeRefName(ref)) return undefined;
    const refs = await this.refs();
    const candidates = ref.startsWith("refs/") ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
    for (const candidate of candidates) {
      const target = refs.get(candidate);
      if (target) return target.commit;
    }
    return isShaLike(ref) ? await this.commitSha(ref) : undefined;
  }

  /** The full id of the commit an abbreviated or full SHA names; undefined for other objects or ambiguity. */
  async commitSha(shaLike: string): Promise<string | undefined> {
    if (!isShaLike(shaLike)) return undefined;
    const lower = shaLike.toLowerCase();
    if (isFullSha(lower) && this.knownCommits.get(lower)) return lower;
    const sha = await this.verify(`${lower}^{commit}`);
    if (sha) this.knownCommits.set(sha, true);
    return sha;
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

  /**
   * Memoizes a result that depends only on full object ids (a commit's record, its file list),
   * which can never change; failures are not remembered.
   */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.immutable.get(key);
    if (hit) return hit as Promise<T>;
    const result = compute();
    this.immutable.set(key, result);
    result.catch(() => this.immutable.delete(key));
    return result;
  }

  close(): void {
    this.batch.close();
  }
}
