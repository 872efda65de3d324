import { KMSClient } from "@aws-sdk/client-kms";
import { Hono } from "hono";
import pino, { type Logger } from "pino";
import {
  type AuditLog,
  auditPrincipal,
  brokerAuditHooks,
  httpAuditHooks,
  openAuditLogFromConfig,
  policyAuditHooks,
  runWithAuditContext,
  toolAuditEvents,
} from "./audit/index.ts";
import { createApiKeyVerifier } from "./auth/api-keys.ts";
import { createOidcVerifier } from "./auth/oidc-verifier.ts";
import type { RepogateConfig } from "./config/index.ts";
import { createAppJwtSigner, createGitHubBroker, type GitHubBroker } from "./github/index.ts";
import { mountGitHubWebhooks } from "./github-webhooks.ts";
import { createHttpApp, mcpResourceUrl, mcpResourceUrls } from "./http/app.ts";
import type { ClientIpOptions } from "./http/client-ip.ts";
import type { HttpEnv } from "./http/types.ts";
import { createMcpHandler } from "./mcp/handler.ts";
import { toolCallsIn } from "./mcp/tool-calls.ts";
import {
  createMetricsFromConfig,
  createMetricsHandler,
  httpMetrics,
  instrumentSigner,
  type Metrics,
  type RunningMetricsServer,
  recordGitHubResponse,
  resolveAppKeyCreatedAt,
  startMetricsServer,
  toolEventMetrics,
  trackAppKeyAge,
} from "./metrics/index.ts";
import { PolicyStore } from "./policy/index.ts";
import { createApiKeyStoreFromConfig, createSecretStoreFromConfig, secretText } from "./secrets/index.ts";
import { combineBrokerHooks, combineToolEvents } from "./wiring.ts";

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
  github: GitHubBroker;
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
    const auditHookError = (error: unknown, type: string) =>
      logger.error({ err: message(error), type }, "audit event could not be recorded");
    const queueDepth = setInterval(() => metrics.setAuditQueueDepth(audit.status().queueDepth), 5_000);
    queueDepth.unref();
    cleanups.push(() => clearInterval(queueDepth));

    const policyHooks = policyAuditHooks(audit, auditHookError);
    const policy = await PolicyStore.open({
      path: config.policy.file,
      watch: config.policy.watch,
      onReload: (event) => {
        policyHooks.onReload(event);
        logger.info({ digest: event.policy.digest, trigger: event.trigger }, "policy reloaded");
      },
      onReloadError: (error, event) => {
        policyHooks.onReloadError(error, event);
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
    await policyHooks.recordLoad({ policy: policy.engine.policy, previousDigest: "", trigger: "manual" });

    const signer = instrumentSigner(await createAppJwtSigner(config.github.signer), metrics);
    const github = createGitHubBroker({
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
      hooks: combineBrokerHooks(brokerAuditHooks(audit), {
        onGrant: () => metrics.recordTokenGrant(),
        onRevoke: () => metrics.recordTokenRevocation({ outcome: "ok" }),
        onRevokeError: (error, revocation) => {
          metrics.recordTokenRevocation({ outcome: "failed", reason: revocation.reason });
          logger.warn(
            { err: message(error), fingerprint: revocation.fingerprint },
            "token revocation failed; it expires on its own",
          );
        },
      }),
    });
    // By the time this runs the HTTP server has stopped; a call still holding a token was cut off at the
    // shutdown deadline, so its token is revoked now instead of staying valid for up to an hour.
    cleanups.push(() => github.broker.drain({ revokeInUse: true }));

    // Key age feeds the rotation alarm; an unreadable creation date is logged, never fatal.
    const signerConfig = config.github.signer;
    const kmsForKeyAge =
      signerConfig.type === "kms"
        ? new KMSClient({
            region: signerConfig.region ?? config.aws.region,
            ...((signerConfig.endpoint ?? config.aws.endpoint)
              ? { endpoint: signerConfig.endpoint ?? config.aws.endpoint }
              : {}),
          })
        : undefined;
    const keyCreatedAt = await resolveAppKeyCreatedAt(config, kmsForKeyAge).catch((error: unknown) => {
      logger.warn(
        { err: message(error) },
        "could not read the App key's creation date; app_key_age_days stays unset",
      );
      return undefined;
    });
    // The KMS key behind the alias is asked again on each update: after `repogate setup rotate-key` the age restarts.
    const rereadKeyAge = kmsForKeyAge ? () => resolveAppKeyCreatedAt(config, kmsForKeyAge) : undefined;
    if (keyCreatedAt) {
      cleanups.push(trackAppKeyAge(metrics, keyCreatedAt, undefined, undefined, rereadKeyAge));
    }
    cleanups.push(() => kmsForKeyAge?.destroy());

    const oidc = config.auth.oidc;
    const verifier = createOidcVerifier({
      issuer: oidc.issuer,
      // The /mcp URL(s) this server answers under (a loopback server under each loopback name).
      audiences: oidc.audiences ?? mcpResourceUrls(config.publicUrl),
      ...(oidc.algorithms ? { algorithms: oidc.algorithms } : {}),
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
      // Read the engine per call so a reloaded policy applies to the very next request.
      policy: { current: () => policy.engine },
      github,
      events: combineToolEvents(toolAuditEvents(audit), toolEventMetrics(metrics)),
      // With audit.onFailure=deny, a tool call we could not record is refused before anything is minted.
      auditGate: () => audit.ensureWritable(),
      logger,
      serverInfo: {
        name: "repogate",
        version: REPOGATE_VERSION,
        title: "repogate: policy-checked GitHub access",
      },
    });

    const httpHooks = httpAuditHooks(audit, auditHookError);
    const http = createHttpApp({
      publicUrl: config.publicUrl,
      auth: { verifier, ...(apiKeys ? { apiKeys } : {}), requiredScopes: oidc.requiredScopes },
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
        ...(deps.socketAddress ? { socketAddress: deps.socketAddress } : {}),
      },
      maxBodyBytes: config.http.maxBodyBytes,
      maxBatchMessages: config.http.maxBatchMessages,
      logger,
      onAuthFailure: (event) => {
        metrics.recordAuthFailure({ reason: event.reason });
        httpHooks.onAuthFailure(event);
      },
      onRateLimited: (event) => {
        metrics.recordRateLimitRefusal({ scope: event.limiter });
        httpHooks.onRateLimited(event);
      },
      readinessChecks: {
        policy: async () => policy.engine.policy.digest,
        github: async () => github.app.getApp(),
        audit: async () => audit.assertWritable(),
      },
      mcpHandler: (c, principal) => {
        const parsedBody = c.get("parsedBody");
        const userAgent = c.req.header("user-agent");
        const tools = toolCallsIn(parsedBody);
        // The audit context names the tool when the request calls exactly one (a batch may call several).
        const tool = tools.length === 1 ? tools[0] : undefined;
        const context = {
          principal: auditPrincipal(principal),
          request: {
            id: c.get("requestId"),
            ...(c.get("clientRequestId") ? { clientRequestId: c.get("clientRequestId") } : {}),
            ip: c.get("clientIp"),
            ...(userAgent ? { userAgent } : {}),
            ...(tool ? { tool } : {}),
          },
        };
        return runWithAuditContext(context, () =>
          mcp(c.req.raw, principal, c.get("requestId"), { parsedBody }),
        );
      },
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
