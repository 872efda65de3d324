/**
 * `POST /github/webhook`: GitHub's deliveries for the App. The body is capped, `X-Hub-Signature-256` is checked
 * (@octokit/webhooks-methods) against the current webhook secret and, during a rotation, the previous one; an
 * unsigned or wrongly signed delivery gets 401 and does nothing. A delivery id seen before is answered 200 without
 * running again. Known events go to the installation event handler; others are acknowledged and ignored.
 */
import { verifyWithFallback } from "@octokit/webhooks-methods";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import type { WebhookReplayGuard } from "../github/webhook-replay-guard.ts";
import type { HttpEnv } from "./types.ts";

/** What the route needs; built once at start-up. */
export interface GitHubWebhookOptions {
  /** The secrets a delivery may be signed with: the current one first. Read per delivery (the store caches). */
  secrets: () => Promise<string[]>;
  /** Runs one verified delivery (e.g. @octokit/webhooks' `createEventHandler().receive`). */
  receive: (delivery: { id: string; name: string; payload: unknown }) => Promise<void>;
  /** The event names `receive` acts on; others are answered 200 and ignored. */
  handledEvents: ReadonlySet<string>;
  replayGuard: WebhookReplayGuard;
  /** Default 1 MiB; installation payloads are a few kB, GitHub caps payloads at 25 MB. */
  maxBodyBytes?: number;
  /** Metrics: one call per delivery, `event` as `name.action`. */
  onDelivery?: (event: { event: string; outcome: string }) => void;
  logger?: Logger;
}

export const GITHUB_WEBHOOK_PATH = "/github/webhook";
const DELIVERY_ID = /^[0-9A-Za-z-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;
/** The metric label of a delivery whose signature was not verified: its headers are anyone's words. */
const UNVERIFIED = "unverified";

function problem(c: Context<HttpEnv>, status: 400 | 401 | 413 | 503, error: string, message: string) {
  return c.json({ error, message }, status);
}

/** Mounts the webhook route on the app. */
export function mountGitHubWebhook(app: Hono<HttpEnv>, options: GitHubWebhookOptions): void {
  const maxBytes = options.maxBodyBytes ?? 1024 * 1024;
  const record = (event: string, outcome: string) => options.onDelivery?.({ event, outcome });
  app.post(
    GITHUB_WEBHOOK_PATH,
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => {
        record("unknown", "invalid");
        return problem(
          c as never,
          413,
          "payload_too_large",
          `webhook bodies are limited to ${maxBytes} bytes`,
        );
      },
    }),
    async (c) => {
      const name = c.req.header("x-github-event") ?? "";
      const id = c.req.header("x-github-delivery") ?? "";
      const signature = c.req.header("x-hub-signature-256");
      const body = await c.req.text();
      if (!signature) {
        record(UNVERIFIED, "unauthorized");
        return problem(c, 401, "signature_missing", "X-Hub-Signature-256 is required");
      }
      let secrets: string[];
      try {
        secrets = await options.secrets();
      } catch (error) {
        options.logger?.error({ err: (error as Error).message }, "webhook secret cannot be read");
        record(UNVERIFIED, "error");
        return problem(c, 503, "webhook_secret_unavailable", "the webhook secret cannot be read right now");
      }
      const [current, ...others] = secrets;
      const valid =
        current !== undefined &&
        (await verifyWithFallback(current, body, signature, others).catch(() => false)) === true;
      if (!valid) {
        record(UNVERIFIED, "unauthorized");
        options.logger?.warn(
          { deliveryId: DELIVERY_ID.test(id) ? id : undefined },
          "webhook signature invalid",
        );
        return problem(c, 401, "signature_invalid", "X-Hub-Signature-256 does not match the webhook secret");
      }
      if (!EVENT_NAME.test(name) || !DELIVERY_ID.test(id)) {
        record("unknown", "invalid");
        return problem(c, 400, "headers_invalid", "X-GitHub-Event and X-GitHub-Delivery are required");
      }
      let payload: { action?: unknown };
      try {
        payload = JSON.parse(body) as { action?: unknown };
      } catch {
        record(name, "invalid");
        return problem(c, 400, "body_invalid", "the body is not JSON");
      }
      const event = typeof payload?.action === "string" ? `${name}.${payload.action}` : name;
      if (!options.handledEvents.has(name)) {
        record(event, "ignored");
        return c.json({ status: "ignored" }, 200);
      }
      if (!options.replayGuard.claim(id)) {
        record(event, "duplicate");
        return c.json({ status: "duplicate" }, 200);
      }
      try {
        await options.receive({ id, name, payload });
      } catch (error) {
        options.replayGuard.release(id);
        options.logger?.error(
          { deliveryId: id, event, err: (error as Error).message },
          "webhook delivery failed",
        );
        record(event, "error");
        // A 5xx makes the delivery show as failed on GitHub, where it can be redelivered.
        return c.json({ error: "processing_failed" }, 500);
      }
      options.replayGuard.complete(id);
      record(event, "processed");
      return c.json({ status: "processed" }, 200);
    },
  );
}
