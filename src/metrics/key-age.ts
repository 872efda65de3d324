import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { RepogateConfig } from "../config/schema.ts";
import { keyAgeDays, type Metrics } from "./metrics.ts";

/**
 * When the App's private key came into use: `metrics.appKeyCreatedAt` if set (the PEM case, or to override),
 * else the KMS key's CreationDate (for an imported key, when it was imported). Undefined when unknown.
 */
export async function resolveAppKeyCreatedAt(
  config: Pick<RepogateConfig, "github" | "metrics">,
  kms?: Pick<KMSClient, "send">,
  timeoutMs = 5_000,
): Promise<Date | undefined> {
  if (config.metrics.appKeyCreatedAt) return new Date(config.metrics.appKeyCreatedAt);
  const signer = config.github.signer;
  if (signer.type !== "kms" || !kms) return undefined;
  const described = await kms.send(new DescribeKeyCommand({ KeyId: signer.keyId }), {
    abortSignal: AbortSignal.timeout(timeoutMs),
  });
  return described.KeyMetadata?.CreationDate;
}

/**
 * Sets `app_key_age_days` now and then every `intervalMs` (default 6 h); returns a function that stops it. With
 * `reread`, each update first asks again when the key was created, so a rotation (the alias moved to a new KMS
 * key) restarts the age without a broker restart; a failed re-read keeps the last known date.
 */
export function trackAppKeyAge(
  metrics: Pick<Metrics, "setAppKeyAgeDays">,
  createdAt: Date,
  intervalMs = 6 * 60 * 60_000,
  now: () => Date = () => new Date(),
  reread?: () => Promise<Date | undefined>,
): () => void {
  let current = createdAt;
  const update = () => metrics.setAppKeyAgeDays(keyAgeDays(current, now()));
  update();
  const timer = setInterval(() => {
    if (!reread) return update();
    reread()
      .then((date) => {
        if (date) current = date;
      })
      .catch(() => undefined)
      .finally(update);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
