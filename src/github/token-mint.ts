import { createHash } from "node:crypto";
import { GitHubBrokerError } from "./errors.ts";
import { NarrowedScope } from "./narrowed-scope.ts";
import type { AppOctokit, ClientOptions } from "./octokit-clients.ts";
import { createRevocationOctokit } from "./octokit-clients.ts";
import { isWithinRequested } from "./operation-permissions.ts";
import { toUpstreamError } from "./upstream-error.ts";

/**
 * An installation token held in a private field, so logging or serializing the object that carries
 * it shows nothing; only `reveal()` hands out the value, to the code that sends it to GitHub.
 */
export class InstallationToken {
  readonly #value: string;
  readonly fingerprint: string;

  constructor(value: string) {
    this.#value = value;
    this.fingerprint = fingerprintToken(value);
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): { fingerprint: string } {
    return { fingerprint: this.fingerprint };
  }
}

/** First 16 hex characters of SHA-256(token): identifies a token in audit records without revealing it. */
export function fingerprintToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex").slice(0, 16);
}

/** What GitHub says a freshly minted token can do. */
export interface GrantedScope {
  installationId: number;
  /** `owner/name` as GitHub returned them. */
  repositories: string[];
  permissions: Record<string, string>;
  repositorySelection: string | undefined;
  expiresAt: string;
}

export interface MintedToken {
  token: InstallationToken;
  granted: GrantedScope;
}

interface AccessTokenResponse {
  token?: unknown;
  expires_at?: unknown;
  permissions?: unknown;
  repository_selection?: unknown;
  repositories?: Array<{ name?: unknown; full_name?: unknown }> | unknown;
}

/**
 * `POST /app/installations/{id}/access_tokens` narrowed to `scope`. Takes only a NarrowedScope, so
 * the request always carries a non-empty `repositories` list and read-only permissions.
 */
export async function mintNarrowedToken(
  appOctokit: AppOctokit,
  installationId: number,
  scope: NarrowedScope,
  beforeSend?: () => void,
): Promise<MintedToken> {
  if (!NarrowedScope.is(scope) || scope.repositories.length === 0) {
    // Unreachable through the types; a guard against `as any` callers, because GitHub's fallback is installation-wide.
    throw new GitHubBrokerError(
      "UNNARROWED_MINT",
      "Refusing to mint an installation token without a repository list.",
    );
  }
  return requestAccessToken(
    appOctokit,
    installationId,
    { repositories: [...scope.repositories], permissions: { ...scope.permissions } },
    scope.owner,
    beforeSend,
  );
}

/** The permissions of installation-listing tokens (see `TokenBroker.withInstallationListingToken`). */
export const INSTALLATION_LISTING_PERMISSIONS: Readonly<{ metadata: "read" }> = Object.freeze({
  metadata: "read",
});

/**
 * `POST /app/installations/{id}/access_tokens` without a repository list and with
 * `INSTALLATION_LISTING_PERMISSIONS` only (see `TokenBroker.withInstallationListingToken`).
 */
export async function mintInstallationListingToken(
  appOctokit: AppOctokit,
  installationId: number,
  beforeSend?: () => void,
): Promise<MintedToken> {
  if (!Number.isSafeInteger(installationId) || installationId <= 0) {
    throw new GitHubBrokerError(
      "INVALID_INSTALLATION_ID",
      `"${String(installationId).slice(0, 40)}" is not a GitHub App installation id (a positive integer).`,
    );
  }
  return requestAccessToken(
    appOctokit,
    installationId,
    { permissions: { ...INSTALLATION_LISTING_PERMISSIONS } },
    undefined,
    beforeSend,
  );
}

/**
 * The only `POST /app/installations/{id}/access_tokens` in the code base, private so that the two
 * mint functions above, each with a fixed body shape, are the only ways in. `owner` completes
 * repository names GitHub returns without `full_name`; `beforeSend` runs right before each attempt is
 * sent and keeps it from going out by throwing.
 */
async function requestAccessToken(
  appOctokit: AppOctokit,
  installationId: number,
  body: { repositories?: string[]; permissions: Record<string, string> },
  owner: string | undefined,
  beforeSend: (() => void) | undefined,
): Promise<MintedToken> {
  let data: AccessTokenResponse;
  try {
    const response = await appOctokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: installationId,
      ...body,
      // Run by the upstream policy as each attempt leaves (see `beforeSend` there).
      ...(beforeSend ? { request: { beforeSend } } : {}),
    });
    data = response.data as AccessTokenResponse;
  } catch (error) {
    throw toUpstreamError(error);
  }
  if (typeof data.token !== "string" || data.token.length === 0) {
    throw new GitHubBrokerError(
      "GITHUB_MALFORMED_RESPONSE",
      "GitHub's answer to the installation token request had no token.",
    );
  }
  const repositories = Array.isArray(data.repositories)
    ? (data.repositories as Array<{ name?: unknown; full_name?: unknown }>).map((r) =>
        typeof r.full_name === "string" ? r.full_name : `${owner ?? "?"}/${String(r.name)}`,
      )
    : [];
  const permissions =
    data.permissions && typeof data.permissions === "object"
      ? Object.fromEntries(
          Object.entries(data.permissions as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        )
      : {};
  return {
    token: new InstallationToken(data.token),
    granted: {
      installationId,
      repositories,
      permissions,
      repositorySelection:
        typeof data.repository_selection === "string" ? data.repository_selection : undefined,
      // A token without an expiry is still a live token: it is returned so that the broker's scope check
      // (expiryProblem) refuses it and revokes it, rather than dropping it here unrevoked.
      expiresAt: typeof data.expires_at === "string" ? data.expires_at : "",
    },
  };
}

/** Why a grant's expiry is unusable, or undefined when GitHub reported one. */
function expiryProblem(granted: GrantedScope): string | undefined {
  return granted.expiresAt === "" ? "no expiry reported" : undefined;
}

/** Why GitHub's grant differs from the request (or has no expiry), or undefined when it is exactly the repositories asked for and no more permission. */
export function grantedScopeMismatch(scope: NarrowedScope, granted: GrantedScope): string | undefined {
  const expiry = expiryProblem(granted);
  if (expiry) return expiry;
  if (granted.repositorySelection !== undefined && granted.repositorySelection !== "selected") {
    return `repository_selection is "${granted.repositorySelection}"`;
  }
  const want = new Set(scope.fullNames().map((n) => n.toLowerCase()));
  const got = new Set(granted.repositories.map((n) => n.toLowerCase()));
  const same = want.size === got.size && [...want].every((n) => got.has(n));
  if (!same) return `asked for ${[...want].join(", ")}; got ${[...got].join(", ") || "no repository list"}`;
  if (Object.keys(granted.permissions).length === 0) return "no permissions reported";
  if (!isWithinRequested(granted.permissions, scope.permissions)) {
    return `permissions ${JSON.stringify(granted.permissions)} exceed ${JSON.stringify(scope.permissions)}`;
  }
  return undefined;
}

/** Why a listing token's grant is not exactly `metadata: read` (or has no expiry), or undefined when it is fine. */
export function installationListingMismatch(granted: GrantedScope): string | undefined {
  const expiry = expiryProblem(granted);
  if (expiry) return expiry;
  const entries = Object.entries(granted.permissions);
  if (entries.length === 0) return "no permissions reported";
  const exact = entries.length === 1 && granted.permissions.metadata === "read";
  // GitHub's repository_selection mirrors the installation's own setting for an unnarrowed token, so it is not checked.
  return exact
    ? undefined
    : `permissions ${JSON.stringify(granted.permissions)} are not exactly {"metadata":"read"}`;
}

/** `DELETE /installation/token` with the token itself; a 401 means it is already invalid, which is the goal. */
export async function revokeInstallationToken(
  token: InstallationToken,
  options: ClientOptions,
): Promise<void> {
  try {
    await createRevocationOctokit(token.reveal(), options).request("DELETE /installation/token");
  } catch (error) {
    if ((error as { status?: unknown }).status === 401) return;
    throw toUpstreamError(error);
  }
}
