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

/** The commit a listing starts from, or undefined when `sha` is not a commit here. */
async function listingStart(git: RepoGit, sha: string): Promise<string | undefined> {
  return isShaLike(sha) ? await git.verify(`${sha.toLowerCase()}^{commit}`) : undefined;
}

/**
 * The filters `git log` and `git rev-list` share (dates, author), the start commit and the path; undefined
 * when the path can never match.
 */
function filterArgs(options: CommitFilter, start: string): string[] | undefined {
  const args = [...gitDateArg("since", options.since), ...gitDateArg("until", options.until)];
  if (options.author) args.push("--regexp-ignore-case", "--fixed-strings", `--author=${options.author}`);
  args.push("--end-of-options", start);
  if (options.path !== undefined) {
    const filePath = normalizeRepoPath(options.path);
    if (filePath === undefined) return undefined;
    if (filePath !== "") args.push("--", filePath);
  }
  return args;
}

/** A listing's filters without its page. */
export type CommitFilter = Omit<ListCommitsOptions, "skip" | "limit">;

/** Lists commits reachable from `options.sha`, newest first, with one extra read to tell if more exist. */
export async function listCommits(
  git: RepoGit,
  options: ListCommitsOptions,
): Promise<{ commits: CommitRecord[]; hasMore: boolean }> {
  const start = await listingStart(git, options.sha);
  const filters = start && filterArgs(options, start);
  if (!filters) return { commits: [], hasMore: false };
  const limit = Math.max(0, Math.floor(options.limit));
  const skip = Math.max(0, Math.floor(options.skip ?? 0));
  const args = [
    "log",
    "-z",
    `--format=${LOG_FORMAT}`,
    `--max-count=${limit + 1}`,
    `--skip=${skip}`,
    ...filters,
  ];
  const commits = parseLog(await git.text(args));
  return { commits: commits.slice(0, limit), hasMore: commits.length > limit };
}

/**
 * How many commits the listing holds over all its pages (GitHub's `rel="last"` needs it). Remembered per
 * start commit and filters: history below a commit never changes.
 */
export async function countCommits(git: RepoGit, options: CommitFilter): Promise<number> {
  const start = await listingStart(git, options.sha);
  const filters = start && filterArgs(options, start);
  if (!filters) return 0;
  const key = `count:${JSON.stringify(filters)}`;
  return git.memo(
    key,
    async () => Number.parseInt((await git.text(["rev-list", "--count", ...filters])).trim(), 10) || 0,
  );
}
