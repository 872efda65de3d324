import { GitHubAppNotInstalledError, InstallationSuspendedError } from "./errors.ts";
import { assertValidOwner } from "./narrowed-scope.ts";
import type { AppOctokit } from "./octokit-clients.ts";
import { toUpstreamError } from "./upstream-error.ts";

/** An installation of the App on an organization or user account. */
export interface ResolvedInstallation {
  id: number;
  /** The account login with GitHub's casing. */
  account: string;
  targetType: string | undefined;
  /** When an admin suspended the installation (GitHub mints no token for it); undefined when active. */
  suspendedAt?: string | undefined;
}

export interface InstallationResolverOptions {
  /** How long a found installation id is reused. Default 10 minutes. */
  ttlMs?: number;
  /** How long "not installed" is remembered, shorter so a fresh install shows up soon. Default 60 s. */
  negativeTtlMs?: number;
  clock?: () => number;
}

type CacheEntry =
  | { kind: "found"; installation: ResolvedInstallation; expiresAt: number }
  | { kind: "missing"; expiresAt: number };

function isNotFound(error: unknown): boolean {
  return (error as { status?: unknown })?.status === 404;
}

/**
 * Maps an owner to the App's installation id (`GET /orgs/{org}/installation`, then
 * `GET /users/{username}/installation`), with a TTL cache, coalesced concurrent lookups and an
 * `invalidate` hook for installation webhooks.
 */
export class InstallationResolver {
  readonly #octokit: AppOctokit;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #clock: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<CacheEntry>>();
  #lookups = 0;

  constructor(appOctokit: AppOctokit, options: InstallationResolverOptions = {}) {
    this.#octokit = appOctokit;
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#negativeTtlMs = options.negativeTtlMs ?? 60_000;
    this.#clock = options.clock ?? Date.now;
  }

  /** Number of lookups that went to GitHub (cache misses), for metrics and tests. */
  get lookupCount(): number {
    return this.#lookups;
  }

  /** The installation for `owner`, or GitHubAppNotInstalledError. */
  async resolve(owner: string): Promise<ResolvedInstallation> {
    assertValidOwner(owner);
    const key = owner.toLowerCase();
    const cached = this.#cache.get(key);
    const entry = cached && cached.expiresAt > this.#clock() ? cached : await this.#lookupOnce(key, owner);
    if (entry.kind === "missing") throw new GitHubAppNotInstalledError(owner);
    // Refused here, before any mint: GitHub would refuse the token anyway, with a less helpful message.
    if (entry.installation.suspendedAt) {
      throw new InstallationSuspendedError(entry.installation.account, entry.installation.suspendedAt);
    }
    return entry.installation;
  }

  /** Forgets one owner (installation webhooks: created, deleted, suspended, repositories changed) or everything. */
  invalidate(owner?: string): void {
    if (owner === undefined) this.#cache.clear();
    else this.#cache.delete(owner.toLowerCase());
  }

  #lookupOnce(key: string, owner: string): Promise<CacheEntry> {
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const lookup = this.#lookup(owner)
      .then((entry) => {
        // Errors other than "not installed" are not cached: GitHub being down must not stick.
        this.#cache.set(key, entry);
        return entry;
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, lookup);
    return lookup;
  }

  async #lookup(owner: string): Promise<CacheEntry> {
    this.#lookups++;
    // An owner is an organization or a user; GitHub answers 404 on the route that does not apply.
    const attempts = [
      () => this.#octokit.request("GET /orgs/{org}/installation", { org: owner }),
      () => this.#octokit.request("GET /users/{username}/installation", { username: owner }),
    ];
    for (const attempt of attempts) {
      try {
        const { data } = await attempt();
        const account = (data.account as { login?: string } | null)?.login ?? owner;
        const suspendedAt = (data as { suspended_at?: string | null }).suspended_at ?? undefined;
        return {
          kind: "found",
          installation: { id: data.id, account, targetType: data.target_type, suspendedAt },
          expiresAt: this.#clock() + this.#ttlMs,
        };
      } catch (error) {
        if (!isNotFound(error)) throw toUpstreamError(error);
      }
    }
    return { kind: "missing", expiresAt: this.#clock() + this.#negativeTtlMs };
  }
}
