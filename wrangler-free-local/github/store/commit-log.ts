import { isShaLike, normalizeRepoPath } from "./ref-guard.ts";
import type { RepoGit } from "./repo-git.ts";
import type { CommitRecord, ListCommitsOptions } from "./types.ts";

// Ten NUL-separated fields per commit; with -z, commits are NUL-separated too, so the count is fixed.
export const LOG_FORMAT = ["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"].join("%x00");
const FIELDS = 10;

function isoUtc(gitDate: string): string {
  return new Date(gitDate).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Parses `git log -z --format=LOG_FORMAT` output. */
export function parseLog(output: string): CommitRecord[] {
  const fields = output.split("\0");
  const commits: CommitRecord[] = [];
  for (let i = 0; i + FIELDS <= fields.length; i += FIELDS) {
    const [sha, tree, parents, an, ae, ad, cn, ce, cd, body] = fields.slice(i, i + FIELDS) as string[];
    if (!sha || sha.length < 40) continue;
    commits.push({
      sha: sha.trim(),
      treeSha: tree ?? "",
      parents: parents ? parents.split(" ").filter(Boolean) : [],
      author: { name: an ?? "", email: ae ?? "", date: isoUtc(ad ?? "") },
      committer: { name: cn ?? "", email: ce ?? "", date: isoUtc(cd ?? "") },
      message: (body ?? "").replace(/\n+$/, ""),
    });
  }
  return commits;
}

/** Reads one commit; undefined when `sha` is not a commit in this repository. */
export async function readCommit(git: RepoGit, sha: string): Promise<CommitRecord | undefined> {
  if (!isShaLike(sha)) return undefined;
  const full = await git.verify(`${sha.toLowerCase()}^{commit}`);
  if (!full) return undefined;
  const output = await git.text([
    "log",
    "-z",
    "-1",
    "--no-walk",
    `--format=${LOG_FORMAT}`,
    "--end-of-options",
    full,
  ]);
  return parseLog(output)[0];
}

function gitDateArg(name: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  const time = Date.parse(value);
  if (Number.isNaN(time)) return [];
  // Epoch seconds with the @ prefix, so git never guesses at the format.
  return [`--${name}=@${Math.floor(time / 1000)}`];
}

/** Lists commits reachable from `options.sha`, newest first, with one extra read to tell if more exist. */
export async function listCommits(
  git: RepoGit,
  options: ListCommitsOptions,
): Promise<{ commits: CommitRecord[]; hasMore: boolean }> {
  const start = isShaLike(options.sha)
    ? await git.verify(`${options.sha.toLowerCase()}^{commit}`)
    : undefined;
  if (!start) return { commits: [], hasMore: false };
  const limit = Math.max(0, Math.floor(options.limit));
  const skip = Math.max(0, Math.floor(options.skip ?? 0));
  const args = [
    "log",
    "-z",
    `--format=${LOG_FORMAT}`,
    `--max-count=${limit + 1}`,
    `--skip=${skip}`,
    ...gitDateArg("since", options.since),
    ...gitDateArg("until", options.until),
  ];
  if (options.author) args.push("--regexp-ignore-case", "--fixed-strings", `--author=${options.author}`);
  args.push("--end-of-options", start);
  if (options.path !== undefined) {
    const filePath = normalizeRepoPath(options.path);
    if (filePath === undefined) return { commits: [], hasMore: false };
    if (filePath !== "") args.push("--", filePath);
  }
  const commits = parseLog(await git.text(args));
  return { commits: commits.slice(0, limit), hasMore: commits.length > limit };
}
