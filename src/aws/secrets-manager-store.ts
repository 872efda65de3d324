import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  CURRENT_STAGE,
  type SecretStore,
  SecretStoreError,
  type SecretValue,
  withJson,
} from "../secrets/secret-store.ts";

/** The subset of SecretsManagerClient the store uses, so a caller may inject any configured client. */
export type SecretsManagerSendClient = Pick<SecretsManagerClient, "send">;

/** Where warnings about stale secrets go (pino's `warn(obj, msg)` fits). */
export interface SecretStoreLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface SecretsManagerStoreOptions {
  /** An existing client; when absent one is built from `region`, `endpoint` and `credentials`. */
  client?: SecretsManagerSendClient;
  region?: string;
  /** A non-AWS endpoint, e.g. the local AWS emulator. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A value younger than this is served from memory. Default 5 minutes. */
  cacheTtlMs?: number;
  /** While Secrets Manager is unreachable, the last value is served for at most this long after it was read. Default 1 hour. */
  maxStaleMs?: number;
  /** After a failed refresh, stale values are served without asking again for this long. Default 10 s. */
  retryAfterFailureMs?: number;
  /** Abort a GetSecretValue (with the SDK's own retries) that takes longer than this. Default 5 s. */
  timeoutMs?: number;
  logger?: SecretStoreLogger;
  /** Told each time a stale value is served or a refresh fails for good (metrics). */
  onRefreshFailure?: (event: { name: string; outcome: "stale-served" | "failed"; errorName: string }) => void;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
}

interface CacheEntry {
  secret: SecretValue;
  fetchedAt: number;
  /** No refresh is tried before this (set after a failed refresh while serving stale). */
  retryAt: number;
}

/** AWS errors that say the request itself is wrong (missing secret, no permission): never hidden behind a stale value. */
const PERMANENT_ERRORS: Record<string, "SECRET_NOT_FOUND" | "SECRET_ACCESS_DENIED" | "SECRET_INVALID"> = {
  ResourceNotFoundException: "SECRET_NOT_FOUND",
  AccessDeniedException: "SECRET_ACCESS_DENIED",
  AccessDenied: "SECRET_ACCESS_DENIED",
  UnrecognizedClientException: "SECRET_ACCESS_DENIED",
  InvalidSignatureException: "SECRET_ACCESS_DENIED",
  DecryptionFailure: "SECRET_ACCESS_DENIED",
  InvalidRequestException: "SECRET_INVALID",
  InvalidParameterException: "SECRET_INVALID",
  ValidationException: "SECRET_INVALID",
};

const TRANSIENT_4XX = new Set(["ThrottlingException", "TooManyRequestsException", "RequestTimeout"]);

/** Whether a failure is Secrets Manager being unreachable (throttling, 5xx, network, timeout) rather than a refusal. */
export function isTransientSecretsError(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? "";
  if (name in PERMANENT_ERRORS) return false;
  if (TRANSIENT_4XX.has(name)) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500 || status === 429;
}

function fix(code: string, name: string): string {
  switch (code) {
    case "SECRET_NOT_FOUND":
      return `secret ${name} (stage) does not exist in Secrets Manager: create it or fix the secret name in the config`;
    case "SECRET_ACCESS_DENIED":
      return `repogate may not read secret ${name}: grant secretsmanager:GetSecretValue (and kms:Decrypt on its key) to repogate's role`;
    default:
      return `Secrets Manager refused to read secret ${name}: check the secret id`;
  }
}

/** Reads secrets from AWS Secrets Manager with a TTL cache, single-flight refreshes and bounded stale serving. */
export function createSecretsManagerStore(options: SecretsManagerStoreOptions = {}): SecretStore {
  const client =
    options.client ??
    new SecretsManagerClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  const ttl = options.cacheTtlMs ?? 5 * 60_000;
  const maxStale = options.maxStaleMs ?? 60 * 60_000;
  const retryAfterFailure = options.retryAfterFailureMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.clock ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  /**
   * Stages (AWSPENDING, AWSPREVIOUS) found not to exist, and until when that answer is reused: outside a rotation
   * they are normally absent, which is an answer, not a failure to alarm on or to ask again per request.
   */
  const absentStages = new Map<string, number>();
  const inFlight = new Map<string, Promise<SecretValue>>();

  const fetchSecret = async (name: string, stage: string): Promise<SecretValue> => {
    const output = await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }), {
      // The SDK has no request timeout by default; a hung endpoint must not hold every request.
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    const value = output.SecretString ?? output.SecretBinary;
    if (value === undefined) {
      throw new SecretStoreError("SECRET_INVALID", `secret ${name} (${stage}) has no value`, name);
    }
    return {
      name,
      value,
      ...(output.VersionId ? { versionId: output.VersionId } : {}),
      stages: output.VersionStages ?? [stage],
      ...(output.CreatedDate ? { createdAt: output.CreatedDate } : {}),
    };
  };

  const refresh = (name: string, stage: string, key: string): Promise<SecretValue> => {
    const pending = inFlight.get(key);
    if (pending) return pending;
    const started = fetchSecret(name, stage)
      .then(
        (secret) => {
          cache.set(key, { secret, fetchedAt: now(), retryAt: 0 });
          return secret;
        },
        (error: unknown) => onFailure(name, stage, key, error),
      )
      .finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };

  const onFailure = (name: string, stage: string, key: string, error: unknown): SecretValue => {
    if (error instanceof SecretStoreError) throw error;
    const errorName = (error as { name?: string })?.name ?? "Error";
    if (stage !== CURRENT_STAGE && errorName === "ResourceNotFoundException") {
      absentStages.set(key, now() + ttl);
      throw new SecretStoreError("SECRET_NOT_FOUND", `secret ${name} has no ${stage} version`, name);
    }
    if (!isTransientSecretsError(error)) {
      // A deleted secret or a revoked permission must surface now, not an hour later.
      cache.delete(key);
      options.onRefreshFailure?.({ name, outcome: "failed", errorName });
      const code = PERMANENT_ERRORS[errorName] ?? "SECRET_ACCESS_DENIED";
      throw new SecretStoreError(
        code,
        `${fix(code, name).replace("(stage)", `(${stage})`)} [${errorName}]`,
        name,
      );
    }
    const entry = cache.get(key);
    const age = entry ? now() - entry.fetchedAt : Number.POSITIVE_INFINITY;
    if (entry && age <= maxStale) {
      entry.retryAt = now() + retryAfterFailure;
      options.onRefreshFailure?.({ name, outcome: "stale-served", errorName });
      options.logger?.warn(
        {
          secret: name,
          stage,
          versionId: entry.secret.versionId,
          ageMs: age,
          maxStaleMs: maxStale,
          errorName,
        },
        "Secrets Manager is unreachable; serving the last value read",
      );
      return { ...entry.secret, stale: true };
    }
    options.onRefreshFailure?.({ name, outcome: "failed", errorName });
    if (entry) {
      throw new SecretStoreError(
        "SECRET_STALE_TOO_LONG",
        `Secrets Manager has been unreachable for longer than ${Math.round(maxStale / 1000)} s and the cached ` +
          `value of secret ${name} is too old to use [${errorName}]: check network access to Secrets Manager ` +
          "(VPC endpoint, NAT) and the service health",
        name,
      );
    }
    throw new SecretStoreError(
      "SECRET_UNAVAILABLE",
      `Secrets Manager is unreachable, secret ${name} cannot be read [${errorName}]: check network access to ` +
        "Secrets Manager (VPC endpoint, NAT), the region and the endpoint setting",
      name,
    );
  };

  return withJson({
    async get(name, readOptions) {
      const stage = readOptions?.stage ?? CURRENT_STAGE;
      const key = `${stage}\u0000${name}`;
      const entry = cache.get(key);
      const t = now();
      if ((absentStages.get(key) ?? 0) > t) {
        throw new SecretStoreError("SECRET_NOT_FOUND", `secret ${name} has no ${stage} version`, name);
      }
      if (entry && t - entry.fetchedAt < ttl) return entry.secret;
      // Right after a failed refresh, keep serving the stale value instead of hammering a struggling service.
      if (entry && t < entry.retryAt && t - entry.fetchedAt <= maxStale)
        return { ...entry.secret, stale: true };
      return refresh(name, stage, key);
    },
    describe: () =>
      `AWS Secrets Manager${options.region ? ` (${options.region})` : ""}${options.endpoint ? ` at ${options.endpoint}` : ""}`,
  });
}
