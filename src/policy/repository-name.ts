import { InvalidRepositoryNameError, printable } from "./errors.ts";

/**
 * A validated GitHub repository name. `owner`/`repo`/`fullName` keep the caller's spelling for display;
 * `canonical` is the lower-cased form every comparison uses (GitHub names are case-insensitive).
 */
export interface RepositoryName {
  owner: string;
  repo: string;
  fullName: string;
  canonical: string;
}

/** GitHub's limits: owners 1-39 characters, repositories 1-100 (github/docs, "repository name limits"). */
export const MAX_OWNER_LENGTH = 39;
export const MAX_REPO_LENGTH = 100;

// Owners: ASCII letters, digits and hyphens, not starting or ending with a hyphen. GitHub no longer allows
// consecutive hyphens for new accounts, but some legacy accounts have them; accepting them cannot widen a
// match (patterns compare character by character), while refusing them would lock those owners out.
const OWNER_CHARS = /^[A-Za-z0-9-]+$/;
const REPO_CHARS = /^[A-Za-z0-9._-]+$/;

/** True when `owner` is a name GitHub allows for a user or organisation. */
export function isValidOwner(owner: string): boolean {
  return (
    owner.length >= 1 &&
    owner.length <= MAX_OWNER_LENGTH &&
    OWNER_CHARS.test(owner) &&
    !owner.startsWith("-") &&
    !owner.endsWith("-")
  );
}

/** True when `repo` is a repository name GitHub allows (and one we accept: no `.git`/`.wiki` suffix). */
export function isValidRepo(repo: string): boolean {
  return repoProblem(repo) === null;
}

function repoProblem(
  repo: string,
): { reason: "INVALID_REPO" | "GIT_SUFFIX" | "RESERVED_SUFFIX" | "DOT_SEGMENT"; detail: string } | null {
  if (repo === "." || repo === "..") {
    return { reason: "DOT_SEGMENT", detail: `the repository part is "${repo}", a path segment, not a name` };
  }
  if (repo.length > MAX_REPO_LENGTH) {
    return {
      reason: "INVALID_REPO",
      detail: `the repository part is longer than ${MAX_REPO_LENGTH} characters`,
    };
  }
  if (!REPO_CHARS.test(repo)) {
    return {
      reason: "INVALID_REPO",
      detail: "the repository part may only contain ASCII letters, digits, '.', '-' and '_'",
    };
  }
  // GitHub strips `.git` when a repository is created, so no repository is named that way; a request for
  // `x.git` is refused rather than silently rewritten, so the audit trail shows exactly what was asked.
  if (repo.toLowerCase().endsWith(".git")) {
    return { reason: "GIT_SUFFIX", detail: `the repository part ends with ".git"; use the name without it` };
  }
  if (repo.toLowerCase().endsWith(".wiki")) {
    return { reason: "RESERVED_SUFFIX", detail: `names ending in ".wiki" are reserved by GitHub for wikis` };
  }
  return null;
}

/**
 * Parses and validates `owner/repo` against GitHub's allowed characters before anything else touches it.
 * Rejects rather than sanitises: no URL decoding, no Unicode normalisation, no trimming.
 * @throws InvalidRepositoryNameError with a specific `reason`.
 */
export function parseRepositoryName(input: unknown): RepositoryName {
  if (typeof input !== "string") {
    throw new InvalidRepositoryNameError("NOT_A_STRING", printable(String(input)), "it is not a string");
  }
  const shown = printable(input);
  const fail = (
    reason: ConstructorParameters<typeof InvalidRepositoryNameError>[0],
    detail: string,
  ): never => {
    throw new InvalidRepositoryNameError(reason, shown, detail);
  };
  if (input.length === 0) fail("EMPTY", "it is empty");
  if (input.length > MAX_OWNER_LENGTH + 1 + MAX_REPO_LENGTH) fail("TOO_LONG", "it is too long");
  // Character classes are checked first, and on the raw string, so look-alikes (fullwidth, Cyrillic, the
  // Kelvin sign) never reach toLowerCase(), whose Unicode folding could turn them into ASCII letters.
  for (const ch of input) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp > 0x7e && cp !== 0x7f) {
      fail(
        "NON_ASCII",
        `it contains the non-ASCII character U+${cp.toString(16).toUpperCase().padStart(4, "0")} (GitHub names are ASCII only)`,
      );
    }
    if (cp < 0x20 || cp === 0x7f) fail("CONTROL_CHARACTER", "it contains a control character");
    if (ch === " ") fail("WHITESPACE", "it contains whitespace");
    if (ch === "%") fail("PERCENT_ENCODED", "it contains '%'; send the plain name, not a URL-encoded one");
    if (ch === "\\") fail("BACKSLASH", "it contains a backslash");
  }
  const segments = input.split("/");
  if (segments.some((s) => s === ".." || s === ".")) {
    fail("DOT_SEGMENT", `it contains a "." or ".." path segment`);
  }
  if (segments.length === 1) fail("MISSING_SLASH", `it must have the form "owner/repo"`);
  if (segments.length > 2) fail("EXTRA_SLASH", `it must contain exactly one "/" (owner/repo)`);
  const [owner = "", repo = ""] = segments;
  if (owner === "") fail("EMPTY_OWNER", "the owner part is empty");
  if (repo === "") fail("EMPTY_REPO", "the repository part is empty");
  if (!isValidOwner(owner)) {
    fail(
      "INVALID_OWNER",
      owner.length > MAX_OWNER_LENGTH
        ? `the owner part is longer than ${MAX_OWNER_LENGTH} characters`
        : "the owner part may only contain ASCII letters, digits and hyphens, and may not start or end with a hyphen",
    );
  }
  const problem = repoProblem(repo);
  if (problem) fail(problem.reason, problem.detail);
  return { owner, repo, fullName: `${owner}/${repo}`, canonical: `${owner}/${repo}`.toLowerCase() };
}

/** Like `parseRepositoryName` but returns the error instead of throwing, for callers that branch on it. */
export function tryParseRepositoryName(
  input: unknown,
): { ok: true; name: RepositoryName } | { ok: false; error: InvalidRepositoryNameError } {
  try {
    return { ok: true, name: parseRepositoryName(input) };
  } catch (error) {
    if (error instanceof InvalidRepositoryNameError) return { ok: false, error };
    throw error;
  }
}
