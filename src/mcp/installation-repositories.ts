import {
  type GitHubClients,
  type NarrowedOctokit,
  type TokenCallRecord,
  toUpstreamError,
} from "../github/index.ts";

/** A repository of one of the App's installations, as list_repositories and search_code need it. */
export interface InstallationRepository {
  /** `owner/name` with GitHub's casing. */
  fullName: string;
  owner: string;
  name: string;
  private: boolean;
  description: string | null;
  defaultBranch: string | null;
  archived: boolean;
}

/** An installation of the App (from `GET /app/installations`). */
export interface AppInstallation {
  id: number;
  account: string;
}

export interface InstallationRepositoryIndexOptions {
  github: GitHubClients;
  /** How long an installation's repository list is reused. Default 60 s. */
  ttlMs?: number | undefined;
  /** At most this many repositories are read per installation. Default 1000. */
  maxRepositoriesPerInstallation?: number;
  clock?: () => number;
}

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * Knows which repositories the App's installations cover: each installation's listing runs inside
 * the broker's `withInstallationListingToken`. What it lists is filtered by the policy for each
 * caller. Listings are cached for a short TTL and shared by all callers (the per-caller filtering
 * happens on every call).
 */
export class InstallationRepositoryIndex {
  readonly #github: GitHubClients;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #clock: () => number;
  #installations: Cached<AppInstallation[]> | undefined;
  readonly #repositories = new Map<number, Cached<InstallationRepository[]>>();

  constructor(options: InstallationRepositoryIndexOptions) {
    this.#github = options.github;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#max = options.maxRepositoriesPerInstallation ?? 1000;
    this.#clock = options.clock ?? Date.now;
  }

  /** The App's installations (App JWT, `GET /app/installations`). */
  installations(): Promise<AppInstallation[]> {
    const now = this.#clock();
    if (this.#installations && this.#installations.expiresAt > now) return this.#installations.value;
    const value = this.#listInstallations();
    const entry = { value, expiresAt: now + this.#ttlMs };
    this.#installations = entry;
    // A failed listing is forgotten, but only if no newer listing has replaced it meanwhile.
    value.catch(() => {
      if (this.#installations === entry) this.#installations = undefined;
    });
    return value;
  }

  /**
   * The repositories of one installation (cached; concurrent callers share one listing). The listing token is
   * recorded in `record`, the call that found the cache empty.
   */
  repositories(installation: AppInstallation, record: TokenCallRecord): Promise<InstallationRepository[]> {
    const now = this.#clock();
    const cached = this.#repositories.get(installation.id);
    if (cached && cached.expiresAt > now) return cached.value;
    const value = this.#listRepositories(installation, record);
    const entry = { value, expiresAt: now + this.#ttlMs };
    this.#repositories.set(installation.id, entry);
    value.catch(() => {
      if (this.#repositories.get(installation.id) === entry) this.#repositories.delete(installation.id);
    });
    return value;
  }

  /** Forgets every cached listing (installation webhooks, tests). */
  invalidate(): void {
    this.#installations = undefined;
    this.#repositories.clear();
  }

  async #listInstallations(): Promise<AppInstallation[]> {
    const out: AppInstallation[] = [];
    for (let page = 1; page <= 10; page++) {
      const data = await this.#github.app.listInstallations(page).catch((error: unknown) => {
        // Keeps a broker error (App JWT signing) as it is: it is not GitHub being unreachable.
        throw toUpstreamError(error);
      });
      for (const installation of data) {
        const login = installation.account?.login;
        if (login) out.push({ id: installation.id, account: login });
      }
      if (data.length < 100) break;
    }
    return out;
  }

  #listRepositories(
    installation: AppInstallation,
    record: TokenCallRecord,
  ): Promise<InstallationRepository[]> {
    return this.#github.tokens.withInstallationListingToken(
      { installationId: installation.id },
      record,
      (octokit) => this.#readAll(octokit),
    );
  }

  async #readAll(client: NarrowedOctokit): Promise<InstallationRepository[]> {
    const out: InstallationRepository[] = [];
    for (let page = 1; out.length < this.#max; page++) {
      // The broker turns a failure here into a GitHubUpstreamError without the request's headers.
      const { data } = await client.request("GET /installation/repositories", { per_page: 100, page });
      for (const r of data.repositories) {
        out.push({
          fullName: r.full_name,
          owner: r.owner.login,
          name: r.name,
          private: r.private,
          description: r.description ?? null,
          defaultBranch: r.default_branch ?? null,
          archived: r.archived ?? false,
        });
      }
      if (data.repositories.length < 100) break;
    }
    return out.slice(0, this.#max);
  }
}
