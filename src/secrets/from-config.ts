import {
  createSecretsManagerStore,
  type SecretStoreLogger,
  type SecretsManagerSendClient,
} from "../aws/secrets-manager-store.ts";
import type { RepogateConfig } from "../config/schema.ts";
import { createChainedSecretStore, createEnvSecretStore, createFileSecretStore } from "./local-store.ts";
import type { SecretStore } from "./secret-store.ts";

export interface SecretStoreDependencies {
  /** The environment for `REPOGATE_SECRET_*` (read by the CLI and passed down). */
  env?: Record<string, string | undefined>;
  /** A Secrets Manager client to use instead of one built from `aws.region`/`aws.endpoint`. */
  client?: SecretsManagerSendClient;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  logger?: SecretStoreLogger;
  onRefreshFailure?: (event: { name: string; outcome: "stale-served" | "failed"; errorName: string }) => void;
}

/** Builds the configured secret store: Secrets Manager, or local environment variables then the secrets file. */
export function createSecretStoreFromConfig(
  config: Pick<RepogateConfig, "secrets" | "aws">,
  deps: SecretStoreDependencies = {},
): SecretStore {
  const s = config.secrets;
  if (s.store === "secretsmanager") {
    return createSecretsManagerStore({
      region: config.aws.region,
      ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
      ...(deps.client ? { client: deps.client } : {}),
      ...(deps.credentials ? { credentials: deps.credentials } : {}),
      cacheTtlMs: s.cacheTtlMs,
      maxStaleMs: s.maxStaleMs,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.onRefreshFailure ? { onRefreshFailure: deps.onRefreshFailure } : {}),
    });
  }
  const stores = [createEnvSecretStore(deps.env ?? {})];
  if (s.file) stores.push(createFileSecretStore(s.file));
  return createChainedSecretStore(stores);
}
