export {
  createApiKeyStoreFromConfig,
  createSecretApiKeyStore,
  createWebhookSecretGetter,
  type SecretApiKeyStoreOptions,
  type WebhookSecretOptions,
} from "./api-key-secret.ts";
export { createSecretStoreFromConfig, type SecretStoreDependencies } from "./from-config.ts";
export {
  createChainedSecretStore,
  createEnvSecretStore,
  createFileSecretStore,
  parseSecretsFile,
  secretEnvName,
} from "./local-store.ts";
export {
  CURRENT_STAGE,
  PENDING_STAGE,
  parseJsonSecret,
  type SecretReadOptions,
  type SecretStore,
  SecretStoreError,
  type SecretStoreErrorCode,
  type SecretValue,
  secretText,
  withJson,
} from "./secret-store.ts";
