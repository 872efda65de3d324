import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import type { ApiKeyVerifier } from "../auth/api-keys.ts";
import type { OidcVerifier } from "../auth/oidc-verifier.ts";
import type { Principal } from "../auth/principal.ts";
import { accessLog } from "./access-log.ts";
import type { ChallengeContext } from "./auth-error-response.ts";
import {
  type AuthFailureEvent,
  authenticate,
  type RateLimitedEvent,
  withoutCredentials,
} from "./authenticate.ts";
import { DEFAULT_MAX_BODY_BYTES, mcpBodyLimit } from "./body-limit.ts";
import { type ClientIpOptions, clientIp } from "./client-ip.ts";
import { mcpCors } from "./cors.ts";
import { mountHealthRoutes, type ReadinessCheck } from "./health.ts";
import { jsonRpcBody } from "./jsonrpc-body.ts";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import { limitPerPrincipal } from "./limit-per-principal.ts";
import { hostsForPublicUrl, originHostGuard, originsForPublicUrl } from "./origin-host-guard.ts";
import {
  mountProtectedResourceMetadata,
  protectedResourceMetadataPath,
} from "./protected-resource-metadata.ts";
import { createRateLimits, type RateLimitOptions } from "./rate-limit/index.ts";
import { requestId, requestOrigin } from "./request-id.ts";
import { requireScopes } from "./require-scopes.ts";
import type { HttpEnv } from "./types.ts";

/** Serves one authenticated MCP POST. `c.req.raw` has no credential headers and no body: use `c.get("parsedBody")`. */
export type McpHandler = (c: Context<HttpEnv>, principal: Principal) => Promise<Response>;

/** Everything the HTTP app needs; built once at start-up from config. */
export interface HttpAppOptions {
  /** Public base URL (origin, no path), e.g. `https://mcp.corp.example`; `/mcp` is appended. */
  publicUrl: string;
  auth: {
    verifier: OidcVerifier;
    apiKeys?: ApiKeyVerifier;
    /** Scopes every `/mcp` message needs; also the challenges' `scope=` and the PRM `scopes_supported`. */
    requiredScopes: string[];
  };
  /** Limits and their store (memory, or Redis when a URL is given); memory with defaults when omitted. */
  rateLimit?: RateLimitOptions;
  /** Browser origins allowed on `/mcp` (also its CORS allowlist). Requests without Origin always pass. */
  allowedOrigins?: string[];
  clientIp?: ClientIpOptions;
  maxBodyBytes?: number;
  /** Largest JSON-RPC batch from clients of protocols before 2025-06-18 (later ones may not batch). Default 10. */
  maxBatchMessages?: number;
  mcpHandler: McpHandler;
  /** Named checks for `/readyz` (policy loaded, GitHub reachable, …); `idp-jwks` is added unless given. */
  readinessChecks?: Record<string, ReadinessCheck>;
  /** How long one `/readyz` result answers later probes (default 2 s), so probes cannot flood GitHub or the IdP. */
  readinessCacheMs?: number;
  logger?: Logger;
  onAuthFailure?: (event: AuthFailureEvent) => void;
  onRateLimited?: (event: RateLimitedEvent) => void;
  resourceName?: string;
}

/** The app plus what its owner needs to wire and stop it. */
export interface HttpApp {
  app: Hono<HttpEnv>;
  /** The canonical `/mcp` URL (PRM `resource`). */
  resourceUrl: string;
  /** The path-aware PRM URL named in every challenge. */
  resourceMetadataUrl: string;
  /** Resolves when the rate-limit store is connected. */
  ready(): Promise<void>;
  /** Releases the rate-limit store connection. */
  close(): Promise<void>;
}

/** The canonical MCP resource URL for a public base URL (`https://h` → `https://h/mcp`); use it as the audience. */
export function mcpResourceUrl(publicUrl: string): string {
  return `${new URL(publicUrl).origin}/mcp`;
}

/**
 * Every MCP resource URL the server is reached under: the canonical one, and for a loopback public URL the
 * same port under each loopback name (`localhost`, `127.0.0.1`, `[::1]`), since a client's resource (and so
 * its token's audience) is spelled the way it was told the server's URL.
 */
export function mcpResourceUrls(publicUrl: string): string[] {
  return [...new Set([mcpResourceUrl(publicUrl), ...originsForPublicUrl(publicUrl).map((o) => `${o}/mcp`)])];
}

/** Builds the Hono app: guards, authentication, rate limits and scope checks in front of the MCP handler. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const base = new URL(options.publicUrl);
  if (base.pathname !== "/" || base.search || base.hash) {
    throw new TypeError(`publicUrl must be an origin without path, query or fragment: ${options.publicUrl}`);
  }
  const resourceUrl = mcpResourceUrl(options.publicUrl);
  const metadataPath = protectedResourceMetadataPath(resourceUrl);
  const resourceMetadataUrl = `${base.origin}${metadataPath}`;
  // The origin a request reached us under: one of the loopback names when bound to loopback, else the public one.
  const ownOrigins = new Map(originsForPublicUrl(base).map((origin) => [new URL(origin).host, origin]));
  const originOf = (c: Context<HttpEnv>) =>
    ownOrigins.get((c.req.header("host") ?? new URL(c.req.url).host).toLowerCase()) ?? base.origin;
  const { logger, onAuthFailure, onRateLimited } = options;
  const requiredScopes = options.auth.requiredScopes;
  const challenge = (c: Context<HttpEnv>): ChallengeContext => ({
    resourceMetadataUrl: `${originOf(c)}${metadataPath}`,
    scopes: requiredScopes,
  });
  const rateLimits = createRateLimits({ ...options.rateLimit, logger: logger ?? options.rateLimit?.logger });

  const app = new Hono<HttpEnv>();
  app.use("*", requestId());
  app.use("*", clientIp(options.clientIp));
  if (logger) app.use("*", accessLog(logger));

  mountProtectedResourceMetadata(app, {
    path: metadataPath,
    resource: (c) => `${originOf(c)}/mcp`,
    issuer: options.auth.verifier.issuer,
    scopesSupported: requiredScopes,
    resourceName: options.resourceName,
  });
  mountHealthRoutes(
    app,
    { "idp-jwks": () => options.auth.verifier.checkJwks(), ...options.readinessChecks },
    { cacheMs: options.readinessCacheMs, logger },
  );

  const allowedOrigins = options.allowedOrigins ?? [];
  app.use(
    "/mcp",
    originHostGuard({
      // Same-origin requests (a page served by this host, the conformance suite's valid case) are not foreign.
      allowedOrigins: [...allowedOrigins, ...originsForPublicUrl(base)],
      allowedHosts: hostsForPublicUrl(base),
      onReject: (reason, c) => onAuthFailure?.({ reason, status: 403, ...requestOrigin(c) }),
    }),
  );
  if (allowedOrigins.length > 0) app.use("/mcp", mcpCors(allowedOrigins));
  app.use("/mcp", mcpBodyLimit(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  app.use(
    "/mcp",
    authenticate({
      verifiers: { oidc: options.auth.verifier, apiKeys: options.auth.apiKeys },
      challenge,
      failedAuthLimiter: rateLimits.failedAuth,
      onAuthFailure,
      onRateLimited,
      logger,
    }),
  );
  const perPrincipal = limitPerPrincipal(rateLimits.principal, onRateLimited);
  app.post(
    "/mcp",
    jsonRpcBody({ maxBatchMessages: options.maxBatchMessages }),
    perPrincipal,
    requireScopes({ required: requiredScopes, challenge, onAuthFailure, logger }),
    (c) => {
      c.req.raw = withoutCredentials(c.req.raw);
      return options.mcpHandler(c, c.get("principal"));
    },
  );
  // Stateless server: no standalone SSE stream (GET) and no session to delete (DELETE).
  app.all("/mcp", perPrincipal, (c) =>
    jsonRpcError(c, 405, JSON_RPC_ERROR.serverError, "Method not allowed.", { Allow: "POST" }),
  );

  app.notFound((c) => c.json({ error: "not_found" }, 404));
  app.onError((error, c) => {
    logger?.error(
      { requestId: c.get("requestId"), err: error instanceof Error ? error.message : String(error) },
      "unhandled error",
    );
    return jsonRpcError(c, 500, JSON_RPC_ERROR.internalError, "Internal error");
  });

  return {
    app,
    resourceUrl,
    resourceMetadataUrl,
    ready: () => rateLimits.ready(),
    close: () => rateLimits.close(),
  };
}
