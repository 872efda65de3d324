/**
 * What repogate does with the App's `installation` and `installation_repositories` webhooks (dispatched by
 * @octokit/webhooks' event handler): forget the cached installation of that account, so the next call looks it
 * up again (and sees a suspension or removal), then tell the observers (audit trail, metrics, log).
 */
import { createEventHandler, type EmitterWebhookEvent } from "@octokit/webhooks";
import type { InstallationResolver } from "./installations.ts";

/** One installation change, as the audit trail records it. */
export interface InstallationChange {
  /** `installation.created`, `installation.suspend`, `installation_repositories.added` … */
  event: string;
  /** Audit type: `app.installation.created`, `app.installation.repositories_added` … */
  auditType: string;
  deliveryId: string;
  installationId: number;
  account: string;
  accountType: string | undefined;
  /** Who made the change on GitHub. */
  sender: string;
  repositoriesAdded: string[];
  repositoriesRemoved: string[];
  /** Set on `installation` events: the repositories the installation covers (GitHub sends them for created). */
  repositories: string[];
}

export interface InstallationEventOptions {
  installations: Pick<InstallationResolver, "invalidate">;
  /** Awaited: a change that cannot be audited fails the delivery, so GitHub redelivers it. */
  onChange: (change: InstallationChange) => Promise<void>;
}

type InstallationPayload = EmitterWebhookEvent<"installation" | "installation_repositories">["payload"];

function accountOf(payload: InstallationPayload): { login: string; type: string | undefined } {
  const account = payload.installation.account as { login?: string; slug?: string; type?: string } | null;
  return { login: account?.login ?? account?.slug ?? "unknown", type: account?.type };
}

const names = (repos: { full_name?: string; name?: string }[] | undefined) =>
  (repos ?? []).map((r) => r.full_name ?? r.name ?? "?");

/** The event handler for `/github/webhook`: `receive({ id, name, payload })` after the signature was checked. */
export function createInstallationEventHandler(options: InstallationEventOptions) {
  const handler = createEventHandler({});
  const handle = async (
    deliveryId: string,
    name: "installation" | "installation_repositories",
    payload: InstallationPayload,
  ) => {
    const account = accountOf(payload);
    options.installations.invalidate(account.login);
    const repositoryPayload = payload as {
      repositories?: { full_name?: string }[];
      repositories_added?: { full_name?: string }[];
      repositories_removed?: { full_name?: string }[];
    };
    await options.onChange({
      event: `${name}.${payload.action}`,
      auditType:
        name === "installation"
          ? `app.installation.${payload.action}`
          : `app.installation.repositories_${payload.action}`,
      deliveryId,
      installationId: payload.installation.id,
      account: account.login,
      accountType: account.type,
      sender: payload.sender?.login ?? "unknown",
      repositoriesAdded: names(repositoryPayload.repositories_added),
      repositoriesRemoved: names(repositoryPayload.repositories_removed),
      repositories: name === "installation" ? names(repositoryPayload.repositories) : [],
    });
  };
  handler.on("installation", (event) => handle(event.id, "installation", event.payload));
  handler.on("installation_repositories", (event) =>
    handle(event.id, "installation_repositories", event.payload),
  );
  return handler;
}

/** The events this handler acts on; other events are acknowledged and ignored. */
export const HANDLED_WEBHOOK_EVENTS = new Set(["installation", "installation_repositories"]);
