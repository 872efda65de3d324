/**
 * Wires `POST /github/webhook` to the rest of the broker: the webhook secret from the secret store (the previous
 * one too, for an hour after a change), the installation cache, the audit trail (`app.installation.*`), metrics
 * and the log.
 */
import type { Hono } from "hono";
import type { Logger } from "pino";
import type { AuditLog } from "./audit/index.ts";
import type { RepogateConfig } from "./config/index.ts";
import { createInstallationEventHandler, HANDLED_WEBHOOK_EVENTS } from "./github/installation-events.ts";
import type { InstallationResolver } from "./github/installations.ts";
import { WebhookReplayGuard } from "./github/webhook-replay-guard.ts";
import { mountGitHubWebhook } from "./http/github-webhook.ts";
import type { HttpEnv } from "./http/types.ts";
import type { Metrics } from "./metrics/index.ts";
import { createWebhookSecretGetter, type SecretStore } from "./secrets/index.ts";

/** How long after the webhook secret changed deliveries signed with the previous one are still accepted. */
export const PREVIOUS_WEBHOOK_SECRET_WINDOW_MS = 60 * 60_000;

export interface GitHubWebhookDependencies {
  config: Pick<RepogateConfig, "secrets" | "http">;
  secrets: SecretStore;
  installations: Pick<InstallationResolver, "invalidate">;
  audit: Pick<AuditLog, "record">;
  metrics: Pick<Metrics, "recordWebhookDelivery">;
  logger: Logger;
}

const clip = (names: string[]) => names.join(",").slice(0, 500);

/** Mounts the webhook route when `secrets.webhookSecret` is set; without a secret there is no route (deny). */
export function mountGitHubWebhooks(app: Hono<HttpEnv>, deps: GitHubWebhookDependencies): boolean {
  const secretName = deps.config.secrets.webhookSecret;
  if (!secretName) return false;
  const handler = createInstallationEventHandler({
    installations: deps.installations,
    onChange: async (change) => {
      await deps.audit.record({
        type: change.auditType,
        principal: { sub: `github:${change.sender}` },
        outcome: "ok",
        details: {
          deliveryId: change.deliveryId,
          installationId: change.installationId,
          account: change.account,
          accountType: change.accountType ?? null,
          repositoriesAdded: clip(change.repositoriesAdded),
          repositoriesRemoved: clip(change.repositoriesRemoved),
          repositoryCount:
            change.repositories.length + change.repositoriesAdded.length + change.repositoriesRemoved.length,
        },
      });
      deps.logger.info(
        { event: change.event, installationId: change.installationId, account: change.account },
        "GitHub App installation changed; its cached installation was dropped",
      );
    },
  });
  mountGitHubWebhook(app, {
    secrets: createWebhookSecretGetter({
      store: deps.secrets,
      secretName,
      acceptPending: deps.config.secrets.acceptPendingDuringRotation,
      previousSecretWindowMs: PREVIOUS_WEBHOOK_SECRET_WINDOW_MS,
    }),
    receive: (delivery) => handler.receive(delivery as never),
    handledEvents: HANDLED_WEBHOOK_EVENTS,
    replayGuard: new WebhookReplayGuard(),
    maxBodyBytes: deps.config.http.maxBodyBytes,
    onDelivery: (event) => deps.metrics.recordWebhookDelivery(event),
    logger: deps.logger,
  });
  return true;
}
