/** Errors raised by the emulator's data layer; each carries a stable `code` callers can branch on. */
export class RepoStoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RepoStoreError";
    this.code = code;
  }
}

/** A seed file is not valid YAML or does not match the seed schema. */
export class SeedError extends RepoStoreError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super("SEED_INVALID", `seed file ${file}: ${message}`, options);
    this.name = "SeedError";
    this.file = file;
  }
}

/** The subcommand and its first arguments, without the global options every call carries. */
function describeGitCall(args: readonly string[]): string {
  const rest = [...args];
  while (rest.length > 0) {
    const first = rest[0] ?? "";
    if (first === "--git-dir" || first === "-c") rest.splice(0, 2);
    else if (first.startsWith("--")) rest.shift();
    else break;
  }
  return rest.slice(0, 4).join(" ");
}

/** A `git` invocation failed (non-zero exit or could not start). */
export class GitCommandError extends RepoStoreError {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(
    args: readonly string[],
    exitCode: number | null,
    stderr: string,
    options?: { cause?: unknown },
  ) {
    super(
      "GIT_FAILED",
      `git ${describeGitCall(args)} failed (exit ${exitCode ?? "none"}): ${stderr.trim().slice(0, 500)}`,
      options,
    );
    this.name = "GitCommandError";
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Two commits share no history, so they cannot be compared (GitHub answers 404 here). */
export class NoCommonAncestorError extends RepoStoreError {
  constructor(base: string, head: string) {
    super("NO_COMMON_ANCESTOR", `no common ancestor between ${base} and ${head}`);
    this.name = "NoCommonAncestorError";
  }
}

/** A caller passed a ref, SHA or path that is not safe to hand to git. */
export class InvalidRefError extends RepoStoreError {
  constructor(what: string, reason: string) {
    super("INVALID_REF", `invalid ${what}: ${reason}`);
    this.name = "InvalidRefError";
  }
}
