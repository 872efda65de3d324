import type { AppJwtSigner } from "../github/app-jwt-signer.ts";
import { keyAgeDays, type Metrics } from "./metrics.ts";

/**
 * When the App's private key came into use: `metrics.appKeyCreatedAt` if set (the PEM case, or to override),
 * else what the signer says (KMS: the CreationDate of the key behind the alias). Undefined when unknown.
 */
export async function resolveAppKeyCreatedAt(
  configured: { appKeyCreatedAt?: string | undefined },
  signer: AppJwtSigner,
): Promise<Date | undefined> {
  if (configured.appKeyCreatedAt) return new Date(configured.appKeyCreatedAt);
  return (await signer.keyCreatedAt?.()) ?? undefined;
}

export interface AppKeyAgeTracking {
  /** How often the date is read again and the gauge updated. Default 6 h. */
  intervalMs?: number;
  now?: () => Date;
  /** A read failed; `lastKnown` is the date the gauge keeps using (undefined: the gauge stays unset for now). */
  onReadError?: (error: unknown, lastKnown: Date | undefined) => void;
}

/**
 * Sets `app_key_age_days` from `readCreatedAt` now and then every `intervalMs`; resolves to a function that
 * stops it. Each update reads the date again, so a rotation (the alias moved to a new KMS key) restarts the age
 * without a broker restart; a failed read keeps the last known date, and a failed first read is retried at the
 * next update. When the first read answers that no date is known (a PEM key without `metrics.appKeyCreatedAt`),
 * nothing is scheduled and the gauge stays unset.
 */
export async function trackAppKeyAge(
  metrics: Pick<Metrics, "setAppKeyAgeDays">,
  readCreatedAt: () => Promise<Date | undefined>,
  options: AppKeyAgeTracking = {},
): Promise<() => void> {
  const now = options.now ?? (() => new Date());
  let current: Date | undefined;
  const refresh = async (): Promise<"known" | "unknown" | "failed"> => {
    try {
      const date = await readCreatedAt();
      if (!date) return "unknown";
      current = date;
      return "known";
    } catch (error) {
      options.onReadError?.(error, current);
      return "failed";
    } finally {
      if (current) metrics.setAppKeyAgeDays(keyAgeDays(current, now()));
    }
  };
  if ((await refresh()) === "unknown") return () => undefined;
  const timer = setInterval(() => void refresh(), options.intervalMs ?? 6 * 60 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
