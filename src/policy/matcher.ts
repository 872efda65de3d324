import { isValidOwner, isValidRepo, type RepositoryName } from "./repository-name.ts";

/**
 * A repository pattern `owner/repo` where `*` matches any run of characters and `?` exactly one character,
 * both within one segment. Stored lower-cased: matching is case-insensitive like GitHub names.
 *
 * Why a hand-written matcher and not picomatch or a RegExp: the only special characters are `*` and `?`,
 * every other character is compared literally, so there is no escaping to get wrong (a `.` is a dot, `|`
 * cannot alternate, `[`/`{` cannot open a class or a brace list) and no backtracking blow-up; the names it
 * sees are at most 100 characters and the algorithm below is O(pattern × name) in the worst case.
 */
export interface RepositoryPattern {
  source: string;
  owner: string;
  repo: string;
}

const OWNER_PATTERN_CHARS = /^[A-Za-z0-9*?-]+$/;
const REPO_PATTERN_CHARS = /^[A-Za-z0-9._*?-]+$/;

/** Returns why `pattern` is not a valid repository pattern, or null when it is. */
export function patternProblem(pattern: string): string | null {
  const segments = pattern.split("/");
  if (segments.length !== 2) {
    return `must have the form "owner/repo" with exactly one "/" (got ${segments.length - 1})`;
  }
  const [owner = "", repo = ""] = segments;
  if (owner === "" || repo === "") return "owner and repository parts must not be empty";
  if (pattern.includes("**"))
    return `"**" is not supported: "*" never crosses the "/" between owner and repo`;
  if (!OWNER_PATTERN_CHARS.test(owner)) {
    return `owner part "${owner}" may only contain ASCII letters, digits, "-" and the wildcards "*" and "?"`;
  }
  if (!REPO_PATTERN_CHARS.test(repo)) {
    return `repository part "${repo}" may only contain ASCII letters, digits, ".", "-", "_" and the wildcards "*" and "?"`;
  }
  if (repo === "." || repo === "..") return `repository part "${repo}" is a path segment, not a name`;
  // A wildcard-free part must itself be a name GitHub allows, otherwise the rule could never match.
  if (!/[*?]/.test(owner) && !isValidOwner(owner)) {
    return `owner part "${owner}" is not a valid GitHub owner (no leading or trailing "-", at most 39 characters)`;
  }
  if (!/[*?]/.test(repo) && !isValidRepo(repo)) {
    return `repository part "${repo}" is not a valid GitHub repository name (at most 100 characters, no ".git" or ".wiki" suffix)`;
  }
  return null;
}

/** Compiles a validated pattern; throws a TypeError on an invalid one (the schema refuses those first). */
export function compilePattern(pattern: string): RepositoryPattern {
  const problem = patternProblem(pattern);
  if (problem) throw new TypeError(`invalid repository pattern "${pattern}": ${problem}`);
  const lower = pattern.toLowerCase();
  const slash = lower.indexOf("/");
  return { source: pattern, owner: lower.slice(0, slash), repo: lower.slice(slash + 1) };
}

/** True when the validated repository name matches the pattern (case-insensitive, segment by segment). */
export function matchesPattern(pattern: RepositoryPattern, name: RepositoryName): boolean {
  const slash = name.canonical.indexOf("/");
  return (
    matchSegment(pattern.owner, name.canonical.slice(0, slash)) &&
    matchSegment(pattern.repo, name.canonical.slice(slash + 1))
  );
}

/**
 * Glob match of one segment: `*` = any run (possibly empty), `?` = exactly one character, everything else
 * literal. Classic linear-space wildcard matching that remembers only the last `*` to backtrack to.
 */
export function matchSegment(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === "*") {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === "?" || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
