import { createGitHubAppClient, type GitHubAppClient } from "./app-client.ts";
import { AppJwtProvider } from "./app-jwt.ts";
import type { AppJwtSigner } from "./app-jwt-signer.ts";
import { InstallationResolver } from "./installations.ts";
import {
  type ClientOptions,
  createAppOctokit,
  type GitHubResponseObserver,
  type OctokitLog,
  type UpstreamRetryOptions,
} from "./octokit-clients.ts";
import { createPooledFetch } from "./pooled-fetch.ts";
import { TokenBroker, type TokenReuseOptions } from "./token-broker.ts";
import { UpstreamLanes } from "./upstream-lanes.ts";

export type { GitHubAppClient, GitHubAppInfo, GitHubAppInstallation } from "./app-client.ts";
export type { AppJwt, AppJwtProviderOptions } from "./app-jwt.ts";
export { AppJwtProvider } from "./app-jwt.ts";
export type { AppJwtSigner, AppJwtSignerDescription } from "./app-jwt-signer.ts";
export * from "./errors.ts";
export type { InstallationResolverOptions, ResolvedInstallation } from "./installations.ts";
export { InstallationResolver } from "./installations.ts";
export { NarrowedScope, parseRepositoryFullName } from "./narrowed-scope.ts";
export type {
  AppOctokit,
  GitHubResponseObserver,
  NarrowedOctokit,
  OctokitLog,
  UpstreamRetryOptions,
} from "./octokit-clients.ts";
export {
  PERMISSION_CEILING,
  permissionsForOperation,
  type ReadPermissions,
  type RepositoryOperation,
} from "./operation-permissions.ts";
export { PemAppJwtSigner, PemKeyError } from "./pem-signer.ts";
export { GitHubRefResolver, isValidRefName, type RefClassification, type RefKind } from "./ref-resolver.ts";
export { type AppJwtSignerConfig, createAppJwtSigner } from "./signer-from-config.ts";
export type {
  InstallationListingTarget,
  RevocationReason,
  TokenCallRecord,
  TokenGrant,
  TokenPurpose,
  TokenRequest,
  TokenReuseOptions,
  TokenRevocation,
} from "./token-broker.ts";
export { TokenBroker } from "./token-broker.ts";
export { fingerprintToken, INSTALLATION_LISTING_PERMISSIONS } from "./token-mint.ts";
export { redactErrorText, redactSecrets, toUpstreamError } from "./upstream-error.ts";

export interface GitHubClientsOptions {
  appId: number | string;
  /** Used as the JWT `iss` when set (GitHub's preference); otherwise the App id. */
  clientId?: string | undefined;
  /** GitHub REST API root, e.g. https://api.github.com or the local emulator's URL. */
  baseUrl: string;
  signer: AppJwtSigner;
  /** Default 10 minutes. */
  installationCacheTtlMs?: number;
  /** Default 60 s. */
  installationNegativeCacheTtlMs?: number;
  /** 5xx and network-failure retries. Default 3. */
  retries?: number;
  /** Base of the quadratic back-off between those retries. Default 1000 ms. */
  retryAfterBaseMs?: number;
  /** Rate-limit retries and mint concurrency (default 8 mints in flight). */
  throttle?: Omit<UpstreamRetryOptions, "retries" | "retryAfterBaseMs">;
  /** Per-attempt timeout of every GitHub HTTP request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Largest GitHub response body read (bytes). Default 64 MiB. */
  maxResponseBytes?: number;
  /** Milliseconds since the epoch (JWT claims, installation cache). */
  clock?: () => number;
  /** Off by default: see TokenReuseOptions and the README for what it trades. */
  tokenReuse?: TokenReuseOptions;
  userAgent?: string;
  log?: OctokitLog;
  /** Every GitHub response's status and rate-limit headers (metrics); never the request or its token. */
  onResponse?: GitHubResponseObserver;
}

/** The GitHub side of repogate: the token broker and the App-level clients, sharing one HTTP pool and signer. */
export interface GitHubClients {
  /** Mints, narrows and revokes installation tokens; the only way to a repository. */
  tokens: TokenBroker;
  installations: InstallationResolver;
  jwt: AppJwtProvider;
  /** The App-level (JWT) reads other layers may make; the App octokit itself never leaves `src/github/`. */
  app: GitHubAppClient;
}

/** Wires signer → App JWT provider → App octokit → installation resolver → token broker. */
export function createGitHubClients(options: GitHubClientsOptions): GitHubClients {
  const client: ClientOptions = {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    lanes: new UpstreamLanes(),
    fetch: createPooledFetch({
      timeoutMs: options.requestTimeoutMs ?? 30_000,
      // Above anything GitHub itself sends (raw file reads stop at the policy's maxFileSize).
      maxResponseBytes: options.maxResponseBytes ?? 64 * 1024 * 1024,
    }),
    userAgent: options.userAgent,
    log: options.log,
    onResponse: options.onResponse,
    retries: options.retries,
    retryAfterBaseMs: options.retryAfterBaseMs,
    ...options.throttle,
  };
  const jwt = new AppJwtProvider({
    appId: options.appId,
    clientId: options.clientId,
    signer: options.signer,
    clock: options.clock,
  });
  const appOctokit = createAppOctokit({ ...client, appId: options.appId, clientId: options.clientId, jwt });
  const installations = new InstallationResolver(appOctokit, {
    ttlMs: options.installationCacheTtlMs,
    negativeTtlMs: options.installationNegativeCacheTtlMs,
    clock: options.clock,
  });
  const tokens = new TokenBroker({
    appOctokit,
    installations,
    client,
    tokenReuse: options.tokenReuse,
    log: options.log,
  });
  return { tokens, installations, jwt, app: createGitHubAppClient(appOctokit) };
}
