import { LOG_FORMAT, parseLog } from "./commit-log.ts";
import { NoCommonAncestorError, RepoStoreError } from "./errors.ts";
import { diffFiles, diffText } from "./file-changes.ts";
import type { RepoGit } from "./repo-git.ts";
import type { CompareResult } from "./types.ts";

/** GitHub lists at most this many commits in a comparison. */
export const MAX_COMPARE_COMMITS = 250;
/** GitHub lists at most this many files in a comparison. */
export const MAX_COMPARE_FILES = 300;

async function resolveOrThrow(git: RepoGit, ref: string): Promise<string> {
  const sha = await git.resolveCommit(ref);
  if (!sha)
    throw new RepoStoreError("UNKNOWN_REF", `no commit found for ${JSON.stringify(ref.slice(0, 100))}`);
  return sha;
}

async function mergeBase(git: RepoGit, base: string, head: string): Promise<string> {
  const { stdout, exitCode } = await git.run(["merge-base", "--end-of-options", base, head], {
    okExitCodes: [1],
  });
  const sha = stdout.toString("utf8").trim();
  if (exitCode !== 0 || !sha) throw new NoCommonAncestorError(base, head);
  return sha;
}

/** Compares two commits the way GitHub's three-dot compare does (commits and files since the merge base). */
export async function compareCommits(git: RepoGit, baseRef: string, headRef: string): Promise<CompareResult> {
  const baseSha = await resolveOrThrow(git, baseRef);
  const headSha = await resolveOrThrow(git, headRef);
  const mergeBaseSha = await mergeBase(git, baseSha, headSha);
  const counts = await git.text(["rev-list", "--left-right", "--count", `${baseSha}...${headSha}`]);
  const [behindText = "0", aheadText = "0"] = counts.trim().split(/\s+/);
  const behindBy = Number(behindText);
  const aheadBy = Number(aheadText);
  const status: CompareResult["status"] =
    aheadBy > 0 && behindBy > 0 ? "diverged" : aheadBy > 0 ? "ahead" : behindBy > 0 ? "behind" : "identical";
  const ids = (await git.text(["rev-list", "--reverse", `${baseSha}..${headSha}`]))
    .split("\n")
    .filter(Boolean)
    .slice(0, MAX_COMPARE_COMMITS);
  const commits =
    ids.length > 0
      ? parseLog(await git.text(["log", "-z", "--no-walk=unsorted", `--format=${LOG_FORMAT}`, ...ids]))
      : [];
  const files = (await diffFiles(git, mergeBaseSha, headSha)).slice(0, MAX_COMPARE_FILES);
  return { status, aheadBy, behindBy, baseSha, headSha, mergeBaseSha, commits, totalCommits: aheadBy, files };
}

/** The unified diff of a comparison: merge base to head, with `diff --git` headers. */
export async function compareDiffText(git: RepoGit, baseRef: string, headRef: string): Promise<string> {
  const baseSha = await resolveOrThrow(git, baseRef);
  const headSha = await resolveOrThrow(git, headRef);
  return await diffText(git, await mergeBase(git, baseSha, headSha), headSha);
}
