import type { Hono } from "hono";
import pino, { type Logger } from "pino";
import { createFileApiKeyStore } from "./auth/api-key-store.ts";
import { createApiKeyVerifier } from "./auth/api-keys.ts";
import { createOidcVerifier } from "./auth/oidc-verifier.ts";
import type { RepogateConfig } from "./config/index.ts";
import { createAppJwtSigner, createGitHubBroker, type GitHubBroker } from "./github/index.ts";
import { createHttpApp, mcpResourceUrl } from "./http/app.ts";
import type { ClientIpOptions } from "./http/client-ip.ts";
import type { HttpEnv } from "./http/types.ts";
import { createMcpHandler } from "./mcp/handler.ts";
import { PolicyStore } from "./policy/index.ts";

/** The broker's version, reported to MCP clients. */
export const REPOGATE_VERSION = "0.1.0";

/** Extra wiring a caller may supply (tests, Lambda); everything else comes from the config. */
export interface RepogateDependencies {
  logger?: Logger;
  /** How to read the peer address where there is no Node socket (Lambda: hono/aws-lambda's getConnInfo). */
  socketAddress?: ClientIpOptions["socketAddress"];
}

/** A fully wired broker: the Hono app to serve and what must be stopped at shutdown. */
export interface Repogate {
  app: Hono<HttpEnv>;
  resourceUrl: string;
  policy: PolicyStore;
  github: GitHubBroker;
  logger: Logger;
  /** Stops watching the policy, waits for pending revocations and releases connections. */
  close(): Promise<void>;
}

/** Builds the broker from validated settings: policy, GitHub App broker, authentication, MCP tools, HTTP app. */
export async function createRepogate(
  config: RepogateConfig,
  deps: RepogateDependencies = {},
): Promise<Repogate> {
  const logger = deps.logger ?? pino({ level: config.logLevel, base: { service: "repogate" } });
  const resourceUrl = mcpResourceUrl(config.publicUrl);

  const policy = await PolicyStore.open({
    path: config.policy.file,
    watch: config.policy.watch,
    onReload: ({ policy: loaded, previousDigest, trigger }) =>
      logger.info(
        { digest: loaded.digest, previousDigest, trigger, rules: loaded.rules.length },
        "policy reloaded",
      ),
    onReloadError: (error, event) =>
      logger.error(
        { err: error.message, path: event.path, trigger: event.trigger, digestInForce: event.digestInForce },
        "new policy refused; the previous policy stays in force",
      ),
  });

  const signer = await createAppJwtSigner(config.github.signer);
  const github = createGitHubBroker({
    appId: config.github.appId,
    clientId: config.github.clientId,
    baseUrl: config.github.apiUrl,
    signer,
    installationCacheTtlMs: config.github.installationCacheTtlMs,
    retries: config.github.retries,
    tokenReuse: config.github.tokenReuse,
    userAgent: `repogate/${REPOGATE_VERSION}`,
    hooks: {
      onRevokeError: (error, revocation) =>
        logger.warn(
          { revocation, err: error instanceof Error ? error.message : String(error) },
          "token revocation failed",
        ),
    },
  });

  const oidc = config.auth.oidc;
  const verifier = createOidcVerifier({
    issuer: oidc.issuer,
    audiences: oidc.audiences ?? [resourceUrl],
    ...(oidc.algorithms ? { algorithms: oidc.algorithms } : {}),
    clockToleranceSec: oidc.clockToleranceSec,
    claims: oidc.claims,
  });
  const apiKeys = config.auth.apiKeysFile
    ? createApiKeyVerifier({
        store: createFileApiKeyStore(config.auth.apiKeysFile),
        defaultScopes: oidc.requiredScopes,
        onRefreshError: (error: unknown) =>
          logger.error(
            { err: error instanceof Error ? error.message : String(error) },
            "API keys could not be loaded",
          ),
      })
    : undefined;

  const mcp = createMcpHandler({
    // Read the engine per call so a reloaded policy applies to the very next request.
    policy: { current: () => policy.engine },
    github,
    logger,
    serverInfo: {
      name: "repogate",
      version: REPOGATE_VERSION,
      title: "repogate: policy-checked GitHub access",
    },
  });

  const http = createHttpApp({
    publicUrl: config.publicUrl,
    auth: { verifier, ...(apiKeys ? { apiKeys } : {}), requiredScopes: oidc.requiredScopes },
    rateLimit: {
      points: config.rateLimit.perPrincipal.points,
      durationSec: config.rateLimit.perPrincipal.durationSec,
      failedAuth: config.rateLimit.failedAuthPerIp,
      ...(config.rateLimit.redisUrl ? { redis: { url: config.rateLimit.redisUrl } } : {}),
    },
    allowedOrigins: config.http.allowedOrigins,
    clientIp: {
      trustProxyHops: config.http.trustProxyHops,
      ...(deps.socketAddress ? { socketAddress: deps.socketAddress } : {}),
    },
    maxBodyBytes: config.http.maxBodyBytes,
    logger,
    readinessChecks: {
      policy: async () => policy.engine.policy.digest,
      github: async () => github.appOctokit.request("GET /app"),
    },
    mcpHandler: (c, principal) =>
      mcp(c.req.raw, principal, c.get("requestId"), { parsedBody: c.get("parsedBody") }),
    resourceName: "repogate",
  });
  await http.ready();

  return {
    app: http.app,
    resourceUrl,
    policy,
    github,
    logger,
    close: async () => {
      policy.close();
      await github.broker.drain();
      await http.close();
    },
  };
}
