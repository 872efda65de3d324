/**
 * Webhook payloads as GitHub sends them for `installation` and `installation_repositories`. The webhook schemas
 * are stricter than the REST ones (no extra fields), so these pick exactly the fields GitHub delivers.
 */
import type { AppDefinition, InstallationDefinition } from "../config/app-config.ts";
import { renderInstallation } from "../render/installation.ts";
import { type AccountRef, renderSimpleUser } from "../render/user.ts";
import type { RepositoryRecord } from "../store/types.ts";

/** The account that made the change; the emulator acts as one admin of the installation's account. */
export interface WebhookSender {
  login: string;
  id: number;
}

const USER_FIELDS = [
  "login",
  "id",
  "node_id",
  "avatar_url",
  "gravatar_id",
  "url",
  "html_url",
  "followers_url",
  "following_url",
  "gists_url",
  "starred_url",
  "subscriptions_url",
  "organizations_url",
  "repos_url",
  "events_url",
  "received_events_url",
  "type",
  "site_admin",
] as const;

/** `user` as the webhook schema has it (REST's simple-user minus the fields webhooks do not carry). */
export function webhookUser(base: string, account: AccountRef): Record<string, unknown> {
  const full = renderSimpleUser(base, account);
  return Object.fromEntries(USER_FIELDS.map((field) => [field, full[field]]));
}

/** `installation` in a webhook payload. */
export function webhookInstallation(
  base: string,
  app: AppDefinition,
  installation: InstallationDefinition,
  accountId: number,
  suspendedBy: WebhookSender | undefined,
): Record<string, unknown> {
  // The REST rendering minus what webhooks do not carry (client_id), with the webhook schema's own user shape.
  const { client_id: _clientId, ...rest } = renderInstallation(base, app, installation, accountId);
  return {
    ...rest,
    account: webhookUser(base, {
      login: installation.account.login,
      id: accountId,
      type: installation.account.type,
    }),
    suspended_by:
      installation.suspended_at && suspendedBy
        ? webhookUser(base, { login: suspendedBy.login, id: suspendedBy.id, type: "User" })
        : null,
  };
}

/** The short repository objects of `repositories`, `repositories_added` and `repositories_removed`. */
export function webhookRepositories(repos: readonly RepositoryRecord[]): Record<string, unknown>[] {
  return repos.map((r) => ({
    id: r.id,
    node_id: Buffer.from(`010:Repository${r.id}`).toString("base64"),
    name: r.name,
    full_name: r.fullName,
    private: r.private,
  }));
}
