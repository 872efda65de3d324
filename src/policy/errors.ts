/** One problem found in a policy file, located by line (1-based, null when unknown) and field path. */
export interface PolicyIssue {
  line: number | null;
  path: string;
  message: string;
}

/** Stable codes a caller can branch on when a policy cannot be used. */
export type PolicyErrorCode = "POLICY_INVALID" | "POLICY_UNREADABLE";

/** A policy file that cannot be used; `issues` lists every problem found, each with its line and field path. */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  readonly source: string;
  readonly issues: readonly PolicyIssue[];

  constructor(code: PolicyErrorCode, source: string, issues: PolicyIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(first ? `${formatPolicyIssue(source, first)}${more}` : `${source}: invalid policy`);
    this.name = "PolicyError";
    this.code = code;
    this.source = source;
    this.issues = issues;
  }

  /** One line per issue, `file:line: path: message`, as `repogate policy check` prints them. */
  lines(): string[] {
    return this.issues.map((issue) => formatPolicyIssue(this.source, issue));
  }
}

/** Formats an issue the way compilers do, so editors can jump to `file:line`. */
export function formatPolicyIssue(source: string, issue: PolicyIssue): string {
  const where = issue.line === null ? source : `${source}:${issue.line}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Stable reasons a repository name is refused; the message says which rule it broke. */
export type InvalidRepositoryNameReason =
  | "NOT_A_STRING"
  | "EMPTY"
  | "TOO_LONG"
  | "NON_ASCII"
  | "CONTROL_CHARACTER"
  | "WHITESPACE"
  | "PERCENT_ENCODED"
  | "BACKSLASH"
  | "DOT_SEGMENT"
  | "MISSING_SLASH"
  | "EXTRA_SLASH"
  | "EMPTY_OWNER"
  | "EMPTY_REPO"
  | "INVALID_OWNER"
  | "INVALID_REPO"
  | "GIT_SUFFIX"
  | "RESERVED_SUFFIX";

/** A repository name that is not a GitHub `owner/name`; refused before any matching or URL building. */
export class InvalidRepositoryNameError extends Error {
  readonly code = "INVALID_REPOSITORY_NAME" as const;
  readonly reason: InvalidRepositoryNameReason;
  /** The refused input, made printable (control and non-ASCII characters escaped) for logs. */
  readonly input: string;

  constructor(reason: InvalidRepositoryNameReason, input: string, detail: string) {
    super(`"${input}" is not a valid GitHub repository name: ${detail}`);
    this.name = "InvalidRepositoryNameError";
    this.reason = reason;
    this.input = input;
  }
}

/** A ref that is not a syntactically valid git ref name (git check-ref-format rules, plus a few stricter ones). */
export class InvalidRefError extends Error {
  readonly code = "INVALID_REF" as const;
  readonly input: string;

  constructor(input: string, detail: string) {
    super(`ref "${input}" is not a valid git ref name: ${detail}`);
    this.name = "InvalidRefError";
    this.input = input;
  }
}

/** Escapes control, non-ASCII and quote characters so untrusted input is safe to show in one line. */
export function printable(input: string): string {
  let out = "";
  for (const ch of input) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || cp === 0x7f || cp > 0x7e || ch === '"' || ch === "\\") {
      out += cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    } else {
      out += ch;
    }
  }
  return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}
