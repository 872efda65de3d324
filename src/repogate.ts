import { Hono } from "hono";
import pino, { type Logger } from "pino";
import {
  type AuditLog,
  CallTrail,
  httpAuditEvents,
  openAuditLogFromConfig,
  policyAuditEvents,
} from "./audit/index.ts";
import { createApiKeyVerifier } from "./auth/api-keys.ts";
import { createOidcVerifier } from "./auth/oidc-verifier.ts";
import type { RepogateConfig } from "./config/index.ts";
import { createAppJwtSigner, createGitHubClients, type GitHubClients } from "./github/index.ts";
import { mountGitHubWebhooks } from "./github-webhooks.ts";
import { createHttpApp, mcpResourceUrl, mcpResourceUrls } from "./http/app.ts";
import type { ClientIpOptions } from "./http/client-ip.ts";
import type { HttpEnv } from "./http/types.ts";
import { createMcpHandler } from "./mcp/handler.ts";
import {
  callMetrics,
  createMetricsFromConfig,
  createMetricsHandler,
  httpMetrics,
  instrumentSigner,
  type Metrics,
  type RunningMetricsServer,
  recordGitHubResponse,
  resolveAppKeyCreatedAt,
  startMetricsServer,
  trackAppKeyAge,
} from "./metrics/index.ts";
import { PolicyStore } from "./policy/index.ts";
import { createApiKeyStoreFromConfig, createSecretStoreFromConfig, secretText } from "./secrets/index.ts";

/** The broker's version, reported to MCP clients. */
export const REPOGATE_VERSION = "0.1.0";

/** Extra wiring a caller may supply (tests, Lambda); everything else comes from the config. */
export interface RepogateDependencies {
  logger?: Logger;
  /** The environment `REPOGATE_SECRET_*` local secrets are read from (the CLI passes process.env). */
  env?: Record<string, string | undefined>;
  /** Where EMF metric lines go (stdout in ECS/Lambda, where CloudWatch picks them up). */
  writeMetricLine?: (line: string) => void;
  /** How to read the peer address where there is no Node socket (Lambda: hono/aws-lambda's getConnInfo). */
  socketAddress?: ClientIpOptions["socketAddress"];
}

/** A fully wired broker: the Hono app to serve and what must be stopped at shutdown. */
export interface Repogate {
  app: Hono<HttpEnv>;
  resourceUrl: string;
  policy: PolicyStore;
  github: GitHubClients;
  audit: AuditLog;
  metrics: Metrics;
  /** Where Prometheus metrics are served when they have their own port (`metrics.prometheus.port`). */
  metricsUrl?: string;
  logger: Logger;
  /** Waits for pending revocations, flushes the audit trail and metrics, and releases connections. */
  close(): Promise<void>;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Builds the broker from validated settings: secrets, metrics, audit trail, policy, the KMS/PEM-signed GitHub
 * App broker, authentication, the MCP tools and the HTTP app, with every grant, denial and failure audited.
 */
export async function createRepogate(
  config: RepogateConfig,
  deps: RepogateDependencies = {},
): Promise<Repogate> {
  const logger = deps.logger ?? pino({ level: config.logLevel, base: { service: "repogate" } });
  const resourceUrl = mcpResourceUrl(config.publicUrl);
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve(cleanup()).catch((error: unknown) =>
        logger.error({ err: message(error) }, "error during shutdown"),
      );
    }
  };

  try {
    const { metrics, prometheus } = createMetricsFromConfig(config, {
      write: deps.writeMetricLine ?? ((line) => process.stdout.write(`${line}\n`)),
    });
    cleanups.push(() => metrics.close());

    const secrets = createSecretStoreFromConfig(config, {
      env: deps.env ?? {},
      logger,
      onRefreshFailure: (event) => metrics.recordSecretRefreshFailure(event),
    });

    const audit = await openAuditLogFromConfig(config, {
      onWarning: (warning) => logger.warn({ warning }, "audit trail warning"),
      onDeliveryFailure: (failure) => {
        metrics.recordAuditDeliveryFailure({
          sink: config.audit.sink,
          reason: failure.spooled ? "spooled" : "failed",
        });
        logger.error(
          {
            err: message(failure.error),
            events: failure.events,
            spooled: failure.spooled,
            replay: failure.replay,
          },
          "audit sink write failed",
        );
      },
    });
    cleanups.push(() => audit.close());
    const auditEventError = (error: unknown, type: string) =>
      logger.error({ err: message(error), type }, "audit event could not be recorded");
    const queueDepth = setInterval(() => metrics.setAuditQueueDepth(audit.status().queueDepth), 5_000);
    queueDepth.unref();
    cleanups.push(() => clearInterval(queueDepth));

    const policyEvents = policyAuditEvents(audit, auditEventError);
    const policy = await PolicyStore.open({
      path: config.policy.file,
      watch: config.policy.watch,
      onReload: (event) => {
        policyEvents.onReload(event);
        logger.info({ digest: event.policy.digest, trigger: event.trigger }, "policy reloaded");
      },
      onReloadError: (error, event) => {
        policyEvents.onReloadError(error, event);
        logger.error(
          {
            err: error.message,
            path: event.path,
            trigger: event.trigger,
            digestInForce: event.digestInForce,
          },
          "new policy refused; the previous policy stays in force",
        );
      },
    });
    cleanups.push(() => policy.close());
    // Awaited: under audit.onFailure=deny a broker whose audit trail cannot be written (read-only directory,
    // missing CloudWatch permission) must fail at start, not start and refuse every tool call.
    await policyEvents.recordLoad({ policy: policy.engine.policy, previousDigest: "", trigger: "manual" });

    const signer = instrumentSigner(await createAppJwtSigner(config.github.signer), metrics);
    const github = createGitHubClients({
      appId: config.github.appId,
      clientId: config.github.clientId,
      baseUrl: config.github.apiUrl,
      signer,
      installationCacheTtlMs: config.github.installationCacheTtlMs,
      retries: config.github.retries,
      tokenReuse: config.github.tokenReuse,
      userAgent: `repogate/${REPOGATE_VERSION}`,
      // octokit's and the broker's own messages go to the broker's log, not to bare stderr.
      log: {
        debug: (msg, info) => logger.debug(info ?? {}, msg),
        info: (msg, info) => logger.info(info ?? {}, msg),
        warn: (msg, info) => logger.warn(info ?? {}, msg),
        error: (msg, info) => logger.error(info ?? {}, msg),
      },
      onResponse: (response, installationId) => recordGitHubResponse(metrics, response, installationId),
    });
    // By the time this runs the HTTP server has stopped; a call still holding a token was cut off at the
    // shutdown deadline, so its token is revoked now instead of staying valid for up to an hour.
    cleanups.push(() => github.tokens.drain({ revokeInUse: true }));

    // Key age feeds the rotation alarm; it is read again now and then (a rotation restarts it), and an
    // unreadable creation date is logged, never fatal.
    cleanups.push(
      await trackAppKeyAge(metrics, () => resolveAppKeyCreatedAt(config.metrics, signer), {
        onReadError: (error, lastKnown) =>
          logger.warn(
            { err: message(error) },
            lastKnown
              ? "could not re-read the App key's creation date; app_key_age_days keeps the last known one"
              : "could not read the App key's creation date; app_key_age_days stays unset for now",
          ),
      }),
    );

    const oidc = config.auth.oidc;
    const verifier = createOidcVerifier({
      issuer: oidc.issuer,
      // The /mcp URL(s) this server answers under (a loopback server under each loopback name).
      audiences: oidc.audiences ?? mcpResourceUrls(config.publicUrl),
      algorithms: oidc.algorithms,
      clockToleranceSec: oidc.clockToleranceSec,
      claims: oidc.claims,
    });
    const apiKeyStore = createApiKeyStoreFromConfig(config, secrets);
    const apiKeys = apiKeyStore
      ? createApiKeyVerifier({
          store: apiKeyStore,
          defaultScopes: oidc.requiredScopes,
          onRefreshError: (error: unknown) =>
            logger.error({ err: message(error) }, "API keys could not be loaded"),
        })
      : undefined;

    const mcp = createMcpHandler({
      policy: () => policy.engine,
      github,
      // Each tool call's record: the audit trail first (with audit.onFailure=deny, a call it could not record
      // is refused before anything is minted), then metrics and the log observe it.
      trail: new CallTrail(audit, [
        callMetrics(metrics),
        {
          revokeFailed: (_call, error, revocation) =>
            logger.warn(
              { err: message(error), fingerprint: revocation.fingerprint },
              "token revocation failed; it expires on its own",
            ),
        },
      ]),
      logger,
      serverInfo: {
        name: "repogate",
        version: REPOGATE_VERSION,
        title: "repogate: policy-checked GitHub access",
      },
    });

    const httpEvents = httpAuditEvents(audit, auditEventError);
    const http = createHttpApp({
      publicUrl: config.publicUrl,
      auth: { verifier, apiKeys, requiredScopes: oidc.requiredScopes },
      rateLimit: {
        points: config.rateLimit.perPrincipal.points,
        durationSec: config.rateLimit.perPrincipal.durationSec,
        failedAuth: config.rateLimit.failedAuthPerIp,
        ...(config.rateLimit.redisUrl ? { redis: { url: config.rateLimit.redisUrl } } : {}),
        logger,
      },
      allowedOrigins: config.http.allowedOrigins,
      clientIp: {
        trustProxyHops: config.http.trustProxyHops,
        socketAddress: deps.socketAddress,
      },
      maxBodyBytes: config.http.maxBodyBytes,
      maxBatchMessages: config.http.maxBatchMessages,
      logger,
      onAuthFailure: (event) => {
        metrics.recordAuthFailure({ reason: event.reason });
        httpEvents.onAuthFailure(event);
      },
      onRateLimited: (event) => {
        metrics.recordRateLimitRefusal({ scope: event.limiter });
        httpEvents.onRateLimited(event);
      },
      readinessChecks: {
        policy: async () => policy.engine.policy.digest,
        github: async () => github.app.getApp(),
        audit: async () => audit.assertWritable(),
      },
      mcpHandler: (c, principal) =>
        mcp(c.req.raw, principal, {
          id: c.get("requestId"),
          clientRequestId: c.get("clientRequestId"),
          ip: c.get("clientIp"),
          userAgent: c.req.header("user-agent"),
          parsedBody: c.get("parsedBody"),
        }),
      resourceName: "repogate",
    });
    cleanups.push(() => http.close());
    await http.ready();

    const app = new Hono<HttpEnv>();
    app.use("*", httpMetrics(metrics));
    // POST /github/webhook, only when a webhook secret is configured (no secret, no route).
    mountGitHubWebhooks(app, {
      config,
      secrets,
      installations: github.installations,
      audit,
      metrics,
      logger,
    });
    let metricsServer: RunningMetricsServer | undefined;
    if (prometheus && config.metrics.prometheus.port !== undefined) {
      metricsServer = await startMetricsServer({
        metrics: prometheus,
        port: config.metrics.prometheus.port,
        host: config.metrics.prometheus.host,
      });
      cleanups.push(() => metricsServer?.close());
      logger.info({ url: `${metricsServer.url}/metrics` }, "metrics served on their own port");
    } else if (prometheus && config.metrics.prometheus.tokenSecret) {
      const tokenSecret = config.metrics.prometheus.tokenSecret;
      app.get(
        "/metrics",
        createMetricsHandler({
          metrics: prometheus,
          token: async () => secretText(await secrets.get(tokenSecret)),
          // Scrapes get a bare 503; the reason (a secret name, never its value) belongs in the log.
          onTokenError: (error) =>
            logger.error({ err: message(error), secret: tokenSecret }, "metrics token cannot be read"),
        }),
      );
    }
    // Without a port or a token, /metrics is not served on the public port at all: deny by default.
    app.route("/", http.app);

    return {
      app,
      resourceUrl,
      policy,
      github,
      audit,
      metrics,
      ...(metricsServer ? { metricsUrl: `${metricsServer.url}/metrics` } : {}),
      logger,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
