/**
 * Delivers webhooks like GitHub's Hookshot: a JSON POST to the App's webhook URL with `X-GitHub-Event`,
 * `X-GitHub-Delivery`, `X-GitHub-Hook-ID`, `X-Hub-Signature-256` (HMAC-SHA256 of the body with the webhook
 * secret) and `User-Agent: GitHub-Hookshot/…`. Every attempt is logged (bounded) for tests to inspect.
 */
import { createHmac, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

/** The App's webhook settings (the manifest's `hook_attributes` and the secret GitHub generated). */
export interface WebhookHookConfig {
  url: string;
  secret?: string | undefined;
  active: boolean;
}

/** One delivery attempt, as the App's "Recent Deliveries" page shows it (the body included, never the secret). */
export interface DeliveryRecord {
  id: string;
  event: string;
  action: string | undefined;
  installationId: number | undefined;
  url: string;
  deliveredAt: string;
  /** The receiver's HTTP status; 0 when it could not be reached. */
  status: number;
  error?: string;
  payload: Record<string, unknown>;
}

const MAX_RECORDS = 200;
const DELIVERY_TIMEOUT_MS = 10_000;
const HOOK_ID = 4_200_001;
const HOOKSHOT_VERSION = "a1b2c3d";

/** Sends the App's webhook deliveries; without an active hook config nothing is sent. */
export class WebhookDeliverer {
  #hook: WebhookHookConfig | undefined;
  readonly #records: DeliveryRecord[] = [];

  constructor(hook?: WebhookHookConfig) {
    this.#hook = hook;
  }

  /** Sets (or with undefined removes) the App's webhook. */
  configure(hook: WebhookHookConfig | undefined): void {
    this.#hook = hook;
  }

  /** The current webhook config (the secret included: in-process and control-API use only). */
  config(): WebhookHookConfig | undefined {
    return this.#hook;
  }

  /** Recent deliveries, oldest first. */
  deliveries(): DeliveryRecord[] {
    return [...this.#records];
  }

  /** Delivers one event to the App's webhook URL; resolves with the record (undefined when no hook is active). */
  deliver(
    event: string,
    payload: Record<string, unknown>,
    appId: number,
  ): Promise<DeliveryRecord | undefined> {
    return this.#post(randomUUID(), event, payload, appId);
  }

  /** Sends a recorded delivery again with the same delivery id and body, as "Redeliver" does. */
  redeliver(id: string, appId: number): Promise<DeliveryRecord | undefined> {
    const original = this.#records.find((r) => r.id === id);
    if (!original) return Promise.resolve(undefined);
    return this.#post(original.id, original.event, original.payload, appId);
  }

  async #post(
    id: string,
    event: string,
    payload: Record<string, unknown>,
    appId: number,
  ): Promise<DeliveryRecord | undefined> {
    const hook = this.#hook;
    if (!hook?.active) return undefined;
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": `GitHub-Hookshot/${HOOKSHOT_VERSION}`,
      "x-github-event": event,
      "x-github-delivery": id,
      "x-github-hook-id": String(HOOK_ID),
      "x-github-hook-installation-target-id": String(appId),
      "x-github-hook-installation-target-type": "integration",
    };
    if (hook.secret) {
      headers["x-hub-signature-256"] = await sign(hook.secret, body);
      // GitHub still sends the legacy SHA-1 signature next to the SHA-256 one.
      headers["x-hub-signature"] = `sha1=${createHmac("sha1", hook.secret).update(body).digest("hex")}`;
    }
    const installation = payload.installation as { id?: number } | undefined;
    const record: DeliveryRecord = {
      id,
      event,
      action: typeof payload.action === "string" ? payload.action : undefined,
      installationId: installation?.id,
      url: hook.url,
      deliveredAt: new Date().toISOString(),
      status: 0,
      payload,
    };
    try {
      const response = await fetch(hook.url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      record.status = response.status;
      await response.body?.cancel();
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    }
    this.#records.push(record);
    if (this.#records.length > MAX_RECORDS) this.#records.splice(0, this.#records.length - MAX_RECORDS);
    return record;
  }
}
