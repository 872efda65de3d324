import {
  type ApiKeyRecord,
  type ApiKeyStore,
  createFileApiKeyStore,
  parseApiKeyRecords,
} from "../auth/api-key-store.ts";
import type { RepogateConfig } from "../config/schema.ts";
import {
  CURRENT_STAGE,
  PENDING_STAGE,
  PREVIOUS_STAGE,
  type SecretStore,
  SecretStoreError,
  secretText,
} from "./secret-store.ts";

export interface SecretApiKeyStoreOptions {
  store: SecretStore;
  /** Name (or ARN) of the secret holding the API-key records (JSON list or `{ "apiKeys": [...] }`). */
  secretName: string;
  /**
   * Also accept the records of the `AWSPENDING` version while a rotation is in progress, so a service
   * account can switch to its new key before the rotation's finishSecret step promotes it. Off by default:
   * a pending version is not yet approved, and accepting it widens who can call for the rotation window.
   */
  acceptPending?: boolean;
}

/** Missing pending versions are normal (no rotation in progress); any other failure is not. */
function isNoPendingVersion(error: unknown): boolean {
  return error instanceof SecretStoreError && error.code === "SECRET_NOT_FOUND";
}

/** An ApiKeyStore that reads the API-key hashes from a secret (Secrets Manager on AWS, file/env locally). */
export function createSecretApiKeyStore(options: SecretApiKeyStoreOptions): ApiKeyStore {
  const read = async (stage: string): Promise<ApiKeyRecord[]> => {
    const secret = await options.store.get(options.secretName, { stage });
    return parseApiKeyRecords(secretText(secret), `secret ${options.secretName} (${stage})`);
  };
  return {
    async loadApiKeys() {
      const current = await read(CURRENT_STAGE);
      if (!options.acceptPending) return current;
      let pending: ApiKeyRecord[];
      try {
        pending = await read(PENDING_STAGE);
      } catch (error) {
        if (isNoPendingVersion(error)) return current;
        throw error;
      }
      // Current records win on an id clash: a pending version may add keys, never replace live ones.
      const ids = new Set(current.map((record) => record.id));
      return [...current, ...pending.filter((record) => !ids.has(record.id))];
    },
  };
}

export interface WebhookSecretOptions {
  store: SecretStore;
  secretName: string;
  /** Also return the AWSPENDING value during a rotation (GitHub may already sign with it). Default false. */
  acceptPending?: boolean;
  /**
   * Also return the AWSPREVIOUS value while the current one is younger than this (deliveries GitHub signed just
   * before the secret was changed). Needs the store to know version dates (Secrets Manager). Default 0: off.
   */
  previousSecretWindowMs?: number;
  clock?: () => number;
}

/**
 * Returns a function giving the webhook secrets to try when checking `X-Hub-Signature-256`: the current
 * value first, then the pending one while a rotation is in progress (when enabled).
 */
export function createWebhookSecretGetter(options: WebhookSecretOptions): () => Promise<string[]> {
  const clock = options.clock ?? Date.now;
  const window = options.previousSecretWindowMs ?? 0;
  const optionalStage = async (stage: string): Promise<string | undefined> => {
    try {
      return secretText(await options.store.get(options.secretName, { stage }));
    } catch (error) {
      if (isNoPendingVersion(error)) return undefined;
      throw error;
    }
  };
  return async () => {
    const currentSecret = await options.store.get(options.secretName, { stage: CURRENT_STAGE });
    const current = secretText(currentSecret);
    const secrets = [current];
    if (options.acceptPending) {
      const pending = await optionalStage(PENDING_STAGE);
      if (pending !== undefined && pending !== current) secrets.push(pending);
    }
    const createdAt = currentSecret.createdAt?.getTime();
    if (window > 0 && createdAt !== undefined && clock() - createdAt < window) {
      const previous = await optionalStage(PREVIOUS_STAGE);
      if (previous !== undefined && !secrets.includes(previous)) secrets.push(previous);
    }
    return secrets;
  };
}

/**
 * The API-key store the config asks for: the `secrets.apiKeysSecret` secret when set (Secrets Manager on AWS),
 * else the `auth.apiKeysFile` file, else none (API keys disabled).
 */
export function createApiKeyStoreFromConfig(
  config: Pick<RepogateConfig, "auth" | "secrets">,
  secrets: SecretStore,
): ApiKeyStore | undefined {
  if (config.secrets.apiKeysSecret) {
    return createSecretApiKeyStore({
      store: secrets,
      secretName: config.secrets.apiKeysSecret,
      acceptPending: config.secrets.acceptPendingDuringRotation,
    });
  }
  if (config.auth.apiKeysFile) return createFileApiKeyStore(config.auth.apiKeysFile);
  return undefined;
}
