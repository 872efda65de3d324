import { BrokerShuttingDownError, TokenScopeMismatchError } from "./errors.ts";
import type { InstallationResolver } from "./installations.ts";
import { NarrowedScope } from "./narrowed-scope.ts";
import type { AppOctokit, ClientOptions, NarrowedOctokit, OctokitLog } from "./octokit-clients.ts";
import { createNarrowedOctokit } from "./octokit-clients.ts";
import { permissionsForOperation, type RepositoryOperation } from "./operation-permissions.ts";
import {
  grantedScopeMismatch,
  INSTALLATION_LISTING_PERMISSIONS,
  installationListingMismatch,
  type MintedToken,
  mintInstallationListingToken,
  mintNarrowedToken,
  revokeInstallationToken,
} from "./token-mint.ts";
import { type TokenLease, TokenReusePool } from "./token-reuse.ts";
import { scrubSecret, toUpstreamError } from "./upstream-error.ts";

/**
 * What a token is for. `repository-access` (the default when absent): narrowed to named
 * repositories. `installation-listing`: see `TokenBroker.withInstallationListingToken`.
 */
export type TokenPurpose = "repository-access" | "installation-listing";

/** What leaves the broker about a token: never the token itself. */
export interface TokenGrant {
  /** First 16 hex characters of SHA-256(token). */
  fingerprint: string;
  installationId: number;
  /** `owner/name` as GitHub confirmed them; empty for an installation-listing token (it names none). */
  repositories: string[];
  /**
   * `all` when the token is not narrowed and covers every repository the installation grants (only
   * installation-listing tokens); absent means `selected`: exactly `repositories`.
   */
  repositorySelection?: "selected" | "all";
  /** Absent means `repository-access`. */
  purpose?: TokenPurpose;
  /** Permissions as GitHub confirmed them. */
  permissions: Record<string, string>;
  /** ISO-8601, GitHub's `expires_at`. */
  expiresAt: string;
  /** True when tokenReuse handed this request a token minted for an earlier one. */
  reused: boolean;
}

/** Why a token was revoked. */
export type RevocationReason = "completed" | "grant-not-recorded" | "scope-mismatch" | "shutdown";

/** Reported to the minting call's record (`revoked` / `revokeFailed`). */
export interface TokenRevocation {
  fingerprint: string;
  installationId: number;
  repositories: string[];
  reason: RevocationReason;
  attempts: number;
  /** Set for installation-listing tokens only; absent means `repository-access`. */
  purpose?: TokenPurpose;
}

/**
 * The tool call a token is minted for, as the broker reports to it: in production the call's audit record
 * (`CallRecord` in src/audit/). Passed to every `withToken`, so each token is recorded against the call that
 * caused it. Every method is awaited.
 */
export interface TokenCallRecord {
  /**
   * Awaited before every mint; if it throws, nothing is minted and the error reaches the caller. The audit
   * record refuses here while its sink is known to be down, so a call it could not record mints nothing.
   */
  beforeMint(): Promise<void>;
  /**
   * Called again as the mint request leaves for GitHub, after any wait for a mint slot or a retry's back-off
   * (which `beforeMint` came before); if it throws, the request is not sent and the error reaches the caller.
   * The audit record throws while its sink is known to be down, so a failure that became known during the
   * wait mints nothing either.
   */
  assertMintable(): void;
  /**
   * Awaited before the token is used (the audit record makes it durable); if it throws, the token is
   * revoked and fn never runs. Installation-listing grants say so: `purpose: "installation-listing"`,
   * `repositorySelection: "all"`, `repositories: []`, `permissions: {metadata: "read"}`.
   */
  granted(grant: TokenGrant): Promise<void>;
  revoked(revocation: TokenRevocation): Promise<void>;
  /** The revocation failed twice; the token still expires on its own within an hour. */
  revokeFailed(error: unknown, revocation: TokenRevocation): Promise<void>;
}

export interface TokenReuseOptions {
  enabled: boolean;
  /** How long after minting a token may be handed to further requests. Default 5000 ms. */
  ttlMs?: number;
}

export interface TokenBrokerOptions {
  appOctokit: AppOctokit;
  installations: InstallationResolver;
  client: ClientOptions;
  tokenReuse?: TokenReuseOptions;
  log?: Pick<OctokitLog, "error">;
}

/** Which installation an installation-listing token is for: its id, or the account it is installed on. */
export type InstallationListingTarget = { installationId: number } | { owner: string };

export interface TokenRequest {
  /** `owner/name`. */
  repository: string;
  operation: RepositoryOperation;
}

interface HeldToken extends MintedToken {
  grant: Omit<TokenGrant, "reused">;
  reason: RevocationReason;
  /** The call that minted it: its revocation is recorded there (a reused token's later users record only their grant). */
  record: TokenCallRecord;
}

/**
 * The only place repogate mints installation tokens. Hands each GitHub operation a token narrowed to
 * named repositories and read permissions (the one exception: `withInstallationListingToken`) and
 * revokes every token afterwards without delaying the caller (`drain()` awaits outstanding
 * revocations). Every token is reported to the call's record (`granted`, awaited) before it is used.
 */
export class TokenBroker {
  readonly #appOctokit: AppOctokit;
  readonly #installations: InstallationResolver;
  readonly #client: ClientOptions;
  readonly #log: Pick<OctokitLog, "error">;
  readonly #pool: TokenReusePool<HeldToken> | undefined;
  readonly #pendingRevocations = new Set<Promise<void>>();
  /** Single-use leases whose callback is still running, so a shutdown past its deadline can revoke them. */
  readonly #inUse = new Set<TokenLease<HeldToken>>();
  /** Mints on their way to GitHub, so a shutdown drain waits for them and revokes what they bring back. */
  readonly #minting = new Set<Promise<unknown>>();
  /** Leases whose release is queued for the next turn of the event loop (`#releaseAfterThisTurn`). */
  readonly #releasing = new Set<Promise<void>>();
  /** Set by a shutdown drain (`revokeInUse`): no mint starts any more, one that returns is revoked unused. */
  #closing = false;
  #mints = 0;

  constructor(options: TokenBrokerOptions) {
    this.#appOctokit = options.appOctokit;
    this.#installations = options.installations;
    this.#client = options.client;
    this.#log = options.log ?? { error: (message, info) => console.error(message, info) };
    this.#pool = options.tokenReuse?.enabled
      ? new TokenReusePool<HeldToken>(options.tokenReuse.ttlMs ?? 5000, (held) => this.#revoke(held))
      : undefined;
  }

  /** Tokens minted so far (metrics, tests). */
  get mintCount(): number {
    return this.#mints;
  }

  /**
   * Runs `fn` with an octokit bound to a token for `repository`, narrowed to what `operation` needs; the
   * grant and the revocation are recorded in `record`, the call the token serves.
   */
  async withToken<T>(
    request: TokenRequest,
    record: TokenCallRecord,
    fn: (octokit: NarrowedOctokit, grant: TokenGrant) => Promise<T>,
  ): Promise<T> {
    const scope = NarrowedScope.forRepository(request.repository, permissionsForOperation(request.operation));
    return this.withScope(scope, record, fn);
  }

  /** Like `withToken`, for an already-built scope (several repositories of one owner). */
  async withScope<T>(
    scope: NarrowedScope,
    record: TokenCallRecord,
    fn: (octokit: NarrowedOctokit, grant: TokenGrant) => Promise<T>,
  ): Promise<T> {
    const installation = await this.#installations.resolve(scope.owner);
    const lease = await this.#acquire(installation.id, scope, record);
    return this.#use(lease, installation.id, record, fn);
  }

  /**
   * The one exception to narrowing. Runs `fn` with an octokit bound to a token that names NO
   * repositories, for `GET /installation/repositories` alone: a policy wildcard such as `mycompany/*`
   * names no repository, so list_repositories and search_code cannot learn what it covers otherwise.
   * Its permissions are the constant `INSTALLATION_LISTING_PERMISSIONS` (`metadata: read`: names,
   * visibility, default branch; never a parameter, so no caller can widen an installation-wide
   * token); GitHub's answer is checked to be exactly that. The token is never shared or reused, is
   * recorded in `record` before `fn` runs (`purpose: "installation-listing"`,
   * `repositorySelection: "all"`), and is revoked afterwards like any other.
   */
  async withInstallationListingToken<T>(
    target: InstallationListingTarget,
    record: TokenCallRecord,
    fn: (octokit: NarrowedOctokit, grant: TokenGrant) => Promise<T>,
  ): Promise<T> {
    const installationId =
      "owner" in target ? (await this.#installations.resolve(target.owner)).id : target.installationId;
    const held = await this.#mintListingVerified(installationId, record);
    return this.#use(this.#singleUse(held), installationId, record, fn);
  }

  /**
   * Resolves once every revocation started so far (and any they lead to) has finished; also retires idle
   * reused tokens. With `revokeInUse` (shutdown after the in-flight deadline), tokens whose callback is still
   * running are revoked now rather than left valid for up to an hour; that callback's GitHub calls then fail.
   */
  async drain(options: { revokeInUse?: boolean } = {}): Promise<void> {
    if (options.revokeInUse) {
      this.#closing = true;
      for (const lease of this.#inUse) {
        lease.value.reason = "shutdown";
        lease.discard();
      }
      this.#inUse.clear();
    }
    this.#pool?.closeAll();
    // A request cut off at the shutdown deadline may still be minting: wait for it, so its token is revoked
    // (below) before the process exits instead of living unaudited for up to an hour.
    while (this.#minting.size > 0 || this.#releasing.size > 0 || this.#pendingRevocations.size > 0) {
      await Promise.allSettled([...this.#minting, ...this.#releasing, ...this.#pendingRevocations]);
    }
  }

  /** The grant is recorded (awaited) before `fn` sees the token; the lease is given back on every path. */
  async #use<T>(
    lease: TokenLease<HeldToken>,
    installationId: number,
    record: TokenCallRecord,
    fn: (octokit: NarrowedOctokit, grant: TokenGrant) => Promise<T>,
  ): Promise<T> {
    const held = lease.value;
    const token = held.token.reveal();
    // Frozen: the record and the tool share it, and a reused token's grant is shared between requests.
    const grant: TokenGrant = Object.freeze({ ...held.grant, reused: lease.reused });
    // Tracked from the moment it is held (the grant write can take a while) until it is given back. Pooled
    // leases are shared and reference-counted; the pool retires them itself at drain.
    if (!this.#pool) this.#inUse.add(lease);
    try {
      await record.granted(grant);
    } catch (error) {
      this.#inUse.delete(lease);
      held.reason = "grant-not-recorded";
      lease.discard();
      throw scrubSecret(error, token);
    }
    try {
      return await fn(createNarrowedOctokit(token, installationId, this.#client), grant);
    } catch (error) {
      throw scrubSecret(toUpstreamError(error), token);
    } finally {
      this.#inUse.delete(lease);
      this.#releaseAfterThisTurn(lease);
    }
  }

  async #acquire(
    installationId: number,
    scope: NarrowedScope,
    record: TokenCallRecord,
  ): Promise<TokenLease<HeldToken>> {
    const mint = () => this.#mintVerified(installationId, scope, record);
    if (this.#pool) return this.#pool.acquire(`${installationId}:${scope.key()}`, mint);
    return this.#singleUse(await mint());
  }

  /** A lease on a token nobody else gets: releasing or discarding it starts its revocation, once. */
  #singleUse(held: HeldToken): TokenLease<HeldToken> {
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.#revoke(held);
    };
    return { value: held, reused: false, release, discard: release };
  }

  async #mintVerified(
    installationId: number,
    scope: NarrowedScope,
    record: TokenCallRecord,
  ): Promise<HeldToken> {
    return this.#mintChecked(
      record,
      (beforeSend) => mintNarrowedToken(this.#appOctokit, installationId, scope, beforeSend),
      (minted) => ({
        fingerprint: minted.token.fingerprint,
        installationId,
        repositories: Object.freeze([...minted.granted.repositories]) as string[],
        permissions: Object.freeze({ ...minted.granted.permissions }),
        expiresAt: minted.granted.expiresAt,
      }),
      (granted) => grantedScopeMismatch(scope, granted),
    );
  }

  async #mintListingVerified(installationId: number, record: TokenCallRecord): Promise<HeldToken> {
    return this.#mintChecked(
      record,
      (beforeSend) => mintInstallationListingToken(this.#appOctokit, installationId, beforeSend),
      (minted) => ({
        fingerprint: minted.token.fingerprint,
        installationId,
        repositories: Object.freeze([]) as unknown as string[],
        repositorySelection: "all",
        permissions: Object.freeze({ ...INSTALLATION_LISTING_PERMISSIONS }),
        expiresAt: minted.granted.expiresAt,
        purpose: "installation-listing",
      }),
      installationListingMismatch,
    );
  }

  /**
   * Mints once the record's `beforeMint` allows it (and its `assertMintable` as each attempt is sent), and
   * revokes at once a token whose granted scope is not what was asked for (`mismatch` says how), so no caller
   * ever holds it.
   */
  async #mintChecked(
    record: TokenCallRecord,
    mint: (beforeSend: () => void) => Promise<MintedToken>,
    grantOf: (minted: MintedToken) => HeldToken["grant"],
    mismatch: (granted: MintedToken["granted"]) => string | undefined,
  ): Promise<HeldToken> {
    if (this.#closing) throw new BrokerShuttingDownError();
    await record.beforeMint();
    if (this.#closing) throw new BrokerShuttingDownError();
    // Tracked until the token is either handed on or its revocation has started, so drain() sees one or the other.
    const minting = this.#mintTracked(record, mint, grantOf, mismatch);
    this.#minting.add(minting);
    try {
      return await minting;
    } finally {
      this.#minting.delete(minting);
    }
  }

  async #mintTracked(
    record: TokenCallRecord,
    mint: (beforeSend: () => void) => Promise<MintedToken>,
    grantOf: (minted: MintedToken) => HeldToken["grant"],
    mismatch: (granted: MintedToken["granted"]) => string | undefined,
  ): Promise<HeldToken> {
    // Checked again as each attempt leaves: a wait for a mint slot or a retry may outlast what beforeMint saw.
    const minted = await mint(() => record.assertMintable());
    this.#mints++;
    const held: HeldToken = { ...minted, grant: grantOf(minted), reason: "completed", record };
    const problem = mismatch(minted.granted);
    if (problem) {
      held.reason = "scope-mismatch";
      this.#revoke(held);
      throw new TokenScopeMismatchError(problem);
    }
    if (this.#closing) {
      held.reason = "shutdown";
      this.#revoke(held);
      throw new BrokerShuttingDownError();
    }
    return held;
  }

  /**
   * Gives the lease back (for a single-use token: starts its revocation) in the next turn of the event loop,
   * after the work this turn queued for its end. When a tool's body settles, the call's own audit record,
   * which its answer waits for, is queued that way (group commit, `setImmediate`) a few promise steps later;
   * starting the revocation first put the DELETE's CPU ahead of that disk write, on the answer's path. Now
   * the write is on its way first and the DELETE runs while it is. drain waits for queued releases, so the
   * delay cannot lose a revocation. No timer: two `setImmediate` hops, a few microseconds when idle.
   */
  #releaseAfterThisTurn(lease: TokenLease<HeldToken>): void {
    const released = new Promise<void>((resolve) => {
      setImmediate(() =>
        setImmediate(() => {
          try {
            lease.release();
          } finally {
            resolve();
          }
        }),
      );
    });
    this.#releasing.add(released);
    void released.then(() => this.#releasing.delete(released));
  }

  /** Starts a tracked revocation; the caller never waits for it. */
  #revoke(held: HeldToken): void {
    const pending = this.#revokeWithRetry(held).finally(() => this.#pendingRevocations.delete(pending));
    this.#pendingRevocations.add(pending);
  }

  async #revokeWithRetry(held: HeldToken): Promise<void> {
    const revocation = (attempts: number): TokenRevocation => ({
      fingerprint: held.grant.fingerprint,
      installationId: held.grant.installationId,
      repositories: held.grant.repositories,
      reason: held.reason,
      attempts,
      ...(held.grant.purpose ? { purpose: held.grant.purpose } : {}),
    });
    let lastError: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await revokeInstallationToken(held.token, this.#client);
        await this.#report("revoked", () => held.record.revoked(revocation(attempt)));
        return;
      } catch (error) {
        lastError = scrubSecret(error, held.token.reveal());
      }
    }
    await this.#report("revokeFailed", () => held.record.revokeFailed(lastError, revocation(2)));
  }

  async #report(name: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      // A failing record must not become an unhandled rejection in a fire-and-forget revocation.
      this.#log.error(`repogate token broker: recording ${name} failed`, {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
