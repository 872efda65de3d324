import { InvalidRepositoryScopeError } from "./errors.ts";
import { assertWithinCeiling, type ReadPermissions } from "./operation-permissions.ts";

// GitHub's rules, checked on the raw ASCII input before any case folding (see reliability-anchors §6.2).
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPOSITORY = /^[A-Za-z0-9._-]{1,100}$/;

/** GitHub accepts at most 500 repositories in one token request. */
const MAX_REPOSITORIES = 500;

/** Throws unless `owner` is a valid GitHub user or organization login. */
export function assertValidOwner(owner: string): void {
  if (typeof owner !== "string" || !OWNER.test(owner)) {
    throw new InvalidRepositoryScopeError(`"${printable(owner)}" is not a valid GitHub owner name.`);
  }
}

/** Throws unless `name` is a valid GitHub repository name (without owner). */
export function assertValidRepositoryName(name: string): void {
  if (
    typeof name !== "string" ||
    !REPOSITORY.test(name) ||
    name === "." ||
    name === ".." ||
    name.toLowerCase().endsWith(".git")
  ) {
    throw new InvalidRepositoryScopeError(`"${printable(name)}" is not a valid GitHub repository name.`);
  }
}

/** Splits `owner/name`, validating both parts; exactly one `/` is allowed. */
export function parseRepositoryFullName(fullName: string): { owner: string; name: string } {
  const parts = typeof fullName === "string" ? fullName.split("/") : [];
  const [owner, name] = parts;
  if (parts.length !== 2 || owner === undefined || name === undefined) {
    throw new InvalidRepositoryScopeError(
      `"${printable(fullName)}" is not an owner/repository name (exactly one "/" expected).`,
    );
  }
  assertValidOwner(owner);
  assertValidRepositoryName(name);
  return { owner, name };
}

/** Keeps error messages single-line and bounded whatever the caller sent. */
function printable(value: unknown): string {
  let escaped = "";
  for (const char of String(value)) {
    const code = char.codePointAt(0) ?? 0;
    escaped +=
      code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, "0")}` : char;
  }
  return escaped.length > 120 ? `${escaped.slice(0, 120)}…` : escaped;
}

/**
 * The only value a token mint accepts: a non-empty list of validated repositories of ONE owner plus
 * permissions under the ceiling. GitHub issues an installation-wide token when `repositories` is
 * omitted, so a mint without this value must be impossible; the constructor is private and the
 * `#brand` field makes structurally similar objects fail `NarrowedScope.is` at runtime (the one
 * exception to narrowing: `TokenBroker.withInstallationListingToken`).
 */
export class NarrowedScope {
  readonly #brand = true;
  readonly owner: string;
  /** Repository names without owner, as GitHub's `repositories` body field wants them. */
  readonly repositories: readonly string[];
  readonly permissions: ReadPermissions;

  private constructor(owner: string, repositories: readonly string[], permissions: ReadPermissions) {
    this.owner = owner;
    this.repositories = repositories;
    this.permissions = permissions;
  }

  /** A scope for `owner/name` repositories (one or more, all of the same owner, case-insensitively). */
  static forRepositories(fullNames: readonly string[], permissions: ReadPermissions): NarrowedScope {
    if (!Array.isArray(fullNames) || fullNames.length === 0) {
      throw new InvalidRepositoryScopeError(
        "A token must be narrowed to at least one repository; none was given.",
      );
    }
    if (fullNames.length > MAX_REPOSITORIES) {
      throw new InvalidRepositoryScopeError(`A token may name at most ${MAX_REPOSITORIES} repositories.`);
    }
    const parsed = fullNames.map(parseRepositoryFullName);
    const owner = (parsed[0] as { owner: string }).owner;
    const names: string[] = [];
    const seen = new Set<string>();
    for (const repository of parsed) {
      if (repository.owner.toLowerCase() !== owner.toLowerCase()) {
        throw new InvalidRepositoryScopeError(
          `One installation token cannot span owners (${owner} and ${repository.owner}).`,
        );
      }
      const key = repository.name.toLowerCase();
      if (!seen.has(key)) {
        seen.add(key);
        names.push(repository.name);
      }
    }
    assertWithinCeiling(permissions);
    return new NarrowedScope(owner, Object.freeze(names), Object.freeze({ ...permissions }));
  }

  /** A scope for a single `owner/name` repository. */
  static forRepository(fullName: string, permissions: ReadPermissions): NarrowedScope {
    return NarrowedScope.forRepositories([fullName], permissions);
  }

  /** Runtime check that `value` was built by this class (not a look-alike object). */
  static is(value: unknown): value is NarrowedScope {
    return typeof value === "object" && value !== null && #brand in value;
  }

  /** Case-insensitive identity of the repository set and permissions (the token-reuse key). */
  key(): string {
    const repos = this.repositories.map((r) => r.toLowerCase()).sort();
    const perms = Object.entries(this.permissions).sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify([this.owner.toLowerCase(), repos, perms]);
  }

  /** `owner/name` of each repository. */
  fullNames(): string[] {
    return this.repositories.map((name) => `${this.owner}/${name}`);
  }
}
