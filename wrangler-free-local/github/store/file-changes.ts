import type { RepoGit } from "./repo-git.ts";
import type { FileChange } from "./types.ts";

const ZERO_SHA = /^0+$/;
const DIFF_OPTIONS = ["-M", "--no-color", "--no-ext-diff", "--no-textconv", "-r"];

const STATUS: Record<string, FileChange["status"]> = {
  A: "added",
  D: "removed",
  M: "modified",
  R: "renamed",
  C: "copied",
  T: "changed",
};

interface RawChange {
  oldSha: string;
  newSha: string;
  status: FileChange["status"];
  path: string;
  previousPath?: string;
}

/** Parses `git diff --raw -z` records (`:old new oldsha newsha STATUS\0path\0[path2\0]`). */
function parseRaw(tokens: string[]): RawChange[] {
  const changes: RawChange[] = [];
  for (let i = 0; i < tokens.length; ) {
    const meta = tokens[i++] ?? "";
    if (!meta.startsWith(":")) continue;
    const [, , oldSha = "", newSha = "", statusField = ""] = meta.slice(1).split(" ");
    const letter = statusField.charAt(0);
    const status = STATUS[letter] ?? "changed";
    if (letter === "R" || letter === "C") {
      const previousPath = tokens[i++] ?? "";
      const path = tokens[i++] ?? "";
      changes.push({ oldSha, newSha, status, path, previousPath });
    } else {
      changes.push({ oldSha, newSha, status, path: tokens[i++] ?? "" });
    }
  }
  return changes;
}

/** Parses `git diff --numstat -z`; binary files count as zero lines, like GitHub reports them. */
function parseNumstat(tokens: string[]): { additions: number; deletions: number }[] {
  const stats: { additions: number; deletions: number }[] = [];
  for (let i = 0; i < tokens.length; ) {
    const record = tokens[i++] ?? "";
    if (record === "") continue;
    const [added = "0", deleted = "0", path = ""] = record.split("\t");
    // A rename's record has an empty path followed by the old and new paths as separate tokens.
    if (path === "") i += 2;
    stats.push({ additions: Number(added) || 0, deletions: Number(deleted) || 0 });
  }
  return stats;
}

/** Splits a full `git diff` into per-file sections and keeps each section's hunks (from the first `@@`). */
function splitPatches(diff: string): (string | undefined)[] {
  const sections = diff.split(/^(?=diff --git )/m).filter((s) => s.startsWith("diff --git "));
  return sections.map((section) => {
    const hunkStart = section.search(/^@@ /m);
    if (hunkStart < 0) return undefined;
    return section.slice(hunkStart).replace(/\n$/, "");
  });
}

/** Full unified diff text between two tree-ishes, with `diff --git` headers (GitHub's diff media type). */
export async function diffText(git: RepoGit, from: string, to: string): Promise<string> {
  return await git.text(["diff", ...DIFF_OPTIONS, "--end-of-options", from, to]);
}

/** Files changed between two tree-ishes, each with GitHub's `patch` (hunks only; absent for binaries). */
export async function diffFiles(git: RepoGit, from: string, to: string): Promise<FileChange[]> {
  const [summary, patchText] = await Promise.all([
    git.text([
      "diff",
      ...DIFF_OPTIONS,
      "-z",
      "--no-abbrev",
      "--raw",
      "--numstat",
      "--end-of-options",
      from,
      to,
    ]),
    diffText(git, from, to),
  ]);
  const tokens = summary.split("\0");
  const firstStat = tokens.findIndex((t) => t !== "" && !t.startsWith(":") && /^(\d+|-)\t(\d+|-)\t/.test(t));
  // Raw records come first; the numstat records start at the first "added<TAB>deleted<TAB>" token.
  let rawEnd = tokens.length;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    if (token.startsWith(":")) {
      const letter = token.split(" ")[4]?.charAt(0);
      i += letter === "R" || letter === "C" ? 2 : 1;
      continue;
    }
    rawEnd = i;
    break;
  }
  const raw = parseRaw(tokens.slice(0, rawEnd));
  const stats = parseNumstat(tokens.slice(firstStat < 0 ? tokens.length : rawEnd));
  const patches = splitPatches(patchText);
  return raw.map((change, index) => {
    const stat = stats[index] ?? { additions: 0, deletions: 0 };
    const file: FileChange = {
      filename: change.path,
      status: change.status,
      additions: stat.additions,
      deletions: stat.deletions,
      changes: stat.additions + stat.deletions,
      blobSha: ZERO_SHA.test(change.newSha) ? change.oldSha : change.newSha,
    };
    if (change.previousPath !== undefined) file.previousFilename = change.previousPath;
    const patch = patches[index];
    if (patch !== undefined) file.patch = patch;
    return file;
  });
}
