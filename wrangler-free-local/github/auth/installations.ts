/**
 * Installations of the emulated App: which account, which repositories (resolved against the
 * store), which permissions.
 */
import type { GitHubAppConfig, InstallationDefinition, Permissions } from "../config/app-config.ts";
import type { RepoStore, RepositoryRecord } from "../store/types.ts";

/** Looks up installations and the repositories they reach. */
export class InstallationDirectory {
  constructor(
    private readonly config: GitHubAppConfig,
    private readonly store: RepoStore,
  ) {}

  /** All installations, in config order. */
  list(): InstallationDefinition[] {
    return this.config.installations;
  }

  /** The installation with this id. */
  byId(id: number): InstallationDefinition | undefined {
    return this.config.installations.find((i) => i.id === id);
  }

  /** The installation on this account (case-insensitive), if the App is installed there. */
  byAccount(login: string): InstallationDefinition | undefined {
    const wanted = login.toLowerCase();
    return this.config.installations.find((i) => i.account.login.toLowerCase() === wanted);
  }

  /** Adds an installation (the control API's "install the App"); an account has at most one. */
  add(installation: InstallationDefinition): void {
    if (this.byAccount(installation.account.login)) {
      throw new Error(`the App is already installed on ${installation.account.login}`);
    }
    if (this.byId(installation.id)) throw new Error(`installation ${installation.id} exists already`);
    this.config.installations.push(installation);
  }

  /** Removes an installation (uninstall); false when there is none with this id. */
  remove(id: number): boolean {
    const index = this.config.installations.findIndex((i) => i.id === id);
    if (index < 0) return false;
    this.config.installations.splice(index, 1);
    return true;
  }

  /** Repositories the installation can reach: every repository of the account, or the selected ones. */
  repositories(installation: InstallationDefinition): RepositoryRecord[] {
    const owner = installation.account.login.toLowerCase();
    const ofAccount = this.store.listRepositories().filter((r) => r.owner.toLowerCase() === owner);
    if (installation.repository_selection === "all") return ofAccount;
    const selected = new Set((installation.repositories ?? []).map((n) => n.toLowerCase()));
    return ofAccount.filter((r) => selected.has(r.name.toLowerCase()));
  }

  /** The installation whose repositories include this repository. */
  forRepository(repo: RepositoryRecord): InstallationDefinition | undefined {
    const installation = this.byAccount(repo.owner);
    if (!installation) return undefined;
    return this.repositories(installation).some((r) => r.id === repo.id) ? installation : undefined;
  }

  /** Numeric account id: the store's owner id when it knows the owner, else a stable hash of the login. */
  accountId(login: string): number {
    const wanted = login.toLowerCase();
    const repo = this.store.listRepositories().find((r) => r.owner.toLowerCase() === wanted);
    return repo?.ownerId ?? stableId(`account:${wanted}`);
  }
}

/** A deterministic positive id derived from a string (FNV-1a), so ids survive restarts. */
export function stableId(key: string): number {
  let hash = 0x811c9dc5;
  for (const ch of key) {
    hash ^= ch.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return 10_000_000 + (hash % 90_000_000);
}

const LEVEL_RANK: Record<string, number> = { read: 1, write: 2, admin: 3 };

/** Permissions in `requested` that `granted` does not cover (unknown names count as not granted). */
export function permissionsBeyondGrant(requested: Permissions, granted: Permissions): string[] {
  return Object.entries(requested)
    .filter(([name, level]) => (LEVEL_RANK[granted[name] ?? ""] ?? 0) < (LEVEL_RANK[level] ?? 99))
    .map(([name]) => name);
}

/** Whether `permissions` allow `level` on `name`; `metadata: read` is implied for every App token. */
export function allows(permissions: Permissions, name: string, level: "read" | "write"): boolean {
  if (name === "metadata" && level === "read") return true;
  return (LEVEL_RANK[permissions[name] ?? ""] ?? 0) >= (LEVEL_RANK[level] ?? 99);
}
