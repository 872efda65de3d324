import { parseRepositoryFullName } from "./narrowed-scope.ts";
import type { NarrowedOctokit } from "./octokit-clients.ts";
import { toUpstreamError } from "./upstream-error.ts";

/** The kinds the policy engine distinguishes (src/policy RefResolver). */
export type RefKind = "branch" | "tag" | "commit" | "unknown";

/** What a ref names in a repository, with the commit (or tag object) it points at. */
export type RefClassification =
  | { kind: "branch"; name: string; sha: string }
  | { kind: "tag"; name: string; sha: string }
  | { kind: "commit"; sha: string }
  | { kind: "unknown"; ref: string };

const HEX_SHA = /^[0-9a-f]{7,40}$/i;

/**
 * Git's ref-name rules (git check-ref-format) plus a length cap: a ref that breaks them is never sent
 * to GitHub, so `..` or control characters cannot reshape the request path.
 */
export function isValidRefName(ref: string): boolean {
  if (typeof ref !== "string" || ref.length === 0 || ref.length > 255) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what git forbids
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref)) return false;
  if (ref.includes("..") || ref.includes("@{") || ref.includes("//") || ref === "@") return false;
  if (ref.startsWith("/") || ref.endsWith("/") || ref.endsWith(".") || ref.startsWith("-")) return false;
  return ref.split("/").every((part) => part.length > 0 && !part.startsWith(".") && !part.endsWith(".lock"));
}

function isNotFound(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  // GitHub answers 422 for a commit-ish it cannot resolve on /commits and /compare.
  return status === 404 || status === 422;
}

/**
 * Answers the policy engine's questions about refs (it satisfies `RefResolver` of src/policy),
 * using a token narrowed to that repository.
 */
export class GitHubRefResolver {
  readonly #octokit: NarrowedOctokit;
  readonly owner: string;
  readonly repo: string;
  #defaultBranch: Promise<string> | undefined;

  /** `repository` is `owner/name`; `octokit` is the one `withToken` handed out for it. */
  constructor(octokit: NarrowedOctokit, repository: string) {
    const { owner, name } = parseRepositoryFullName(repository);
    this.#octokit = octokit;
    this.owner = owner;
    this.repo = name;
  }

  /** The repository's default branch (`GET /repos/{owner}/{repo}`), fetched once per resolver. */
  defaultBranch(): Promise<string> {
    this.#defaultBranch ??= this.#octokit
      .request("GET /repos/{owner}/{repo}", { owner: this.owner, repo: this.repo })
      .then(({ data }) => data.default_branch)
      .catch((error: unknown) => {
        this.#defaultBranch = undefined;
        throw toUpstreamError(error);
      });
    return this.#defaultBranch;
  }

  /**
   * Branch, tag or unknown, or a commit with its full SHA: what the policy engine asks. The full SHA lets
   * the reachability check and the read use the commit itself rather than an abbreviation that a branch
   * or tag of the same hex name, created in between, would take over.
   */
  async classifyRef(ref: string): Promise<Exclude<RefKind, "commit"> | { kind: "commit"; sha: string }> {
    const resolved = await this.resolveRef(ref);
    return resolved.kind === "commit" ? { kind: "commit", sha: resolved.sha } : resolved.kind;
  }

  /** Like `classifyRef`, with the name and SHA; tried in GitHub's order: branch, tag, commit. */
  async resolveRef(ref: string): Promise<RefClassification> {
    const unknown: RefClassification = { kind: "unknown", ref };
    if (!isValidRefName(ref)) return unknown;
    const explicitBranch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
    const explicitTag = ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined;
    if (ref.startsWith("refs/") && !explicitBranch && !explicitTag) return unknown;

    if (explicitTag === undefined) {
      const branch = await this.#branch(explicitBranch ?? ref);
      if (branch) return branch;
      if (explicitBranch !== undefined) return unknown;
    }
    const tag = await this.#tag(explicitTag ?? ref);
    if (tag) return tag;
    if (explicitTag !== undefined) return unknown;
    if (HEX_SHA.test(ref)) {
      const sha = await this.#commit(ref);
      if (sha) return { kind: "commit", sha };
    }
    return unknown;
  }

  /** True when `sha` is an ancestor of (or equal to) the tip of `branch`: compare `branch...sha` is behind or identical. */
  async isCommitReachableFrom(sha: string, branch: string): Promise<boolean> {
    if (!HEX_SHA.test(sha) || !isValidRefName(branch)) return false;
    try {
      const { data } = await this.#octokit.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
        owner: this.owner,
        repo: this.repo,
        basehead: `${branch}...${sha}`,
        per_page: 1,
      });
      return data.status === "behind" || data.status === "identical";
    } catch (error) {
      if (isNotFound(error)) return false;
      throw toUpstreamError(error);
    }
  }

  async #branch(name: string): Promise<RefClassification | undefined> {
    try {
      const { data } = await this.#octokit.request("GET /repos/{owner}/{repo}/branches/{branch}", {
        owner: this.owner,
        repo: this.repo,
        branch: name,
      });
      // GitHub follows renamed branches with a redirect; only the exact name counts as that branch.
      if (data.name !== name) return undefined;
      return { kind: "branch", name: data.name, sha: data.commit.sha };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toUpstreamError(error);
    }
  }

  async #tag(name: string): Promise<RefClassification | undefined> {
    try {
      const { data } = await this.#octokit.request("GET /repos/{owner}/{repo}/git/ref/{ref}", {
        owner: this.owner,
        repo: this.repo,
        ref: `tags/${name}`,
      });
      return { kind: "tag", name, sha: data.object.sha };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toUpstreamError(error);
    }
  }

  async #commit(sha: string): Promise<string | undefined> {
    try {
      const { data } = await this.#octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
        owner: this.owner,
        repo: this.repo,
        ref: sha,
        per_page: 1,
      });
      // A hex string may also resolve as some other ref name; it is a commit only if the SHA matches.
      return data.sha.toLowerCase().startsWith(sha.toLowerCase()) ? data.sha : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toUpstreamError(error);
    }
  }
}
