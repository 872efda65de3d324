import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApiKeyVerifier, generateApiKey } from "../../src/auth/api-keys.ts";
import { isTransientSecretsError } from "../../src/aws/secrets-manager-store.ts";
import { loadConfig, parseConfig } from "../../src/config/index.ts";
import {
  createApiKeyStoreFromConfig,
  createChainedSecretStore,
  createEnvSecretStore,
  createFileSecretStore,
  createSecretApiKeyStore,
  createSecretStoreFromConfig,
  createWebhookSecretGetter,
  SecretStoreError,
  secretEnvName,
} from "../../src/secrets/index.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";

const credentials = { accessKeyId: "emulator-test-key", secretAccessKey: "dummy-secret-for-tests" };
let aws: RunningAwsEmulator;
let dir: string;
let sm: SecretsManagerClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "repogate-secrets-local-"));
  aws = await startAwsEmulator({ dataDir: dir, port: 0 });
  sm = new SecretsManagerClient({ endpoint: aws.url, region: "us-east-1", credentials });
});
afterAll(async () => {
  sm?.destroy();
  await aws?.close();
  await rm(dir, { recursive: true, force: true });
});

const baseConfig = {
  publicUrl: "http://127.0.0.1:8700",
  auth: { oidc: { issuer: "http://127.0.0.1:8702", requiredScopes: ["mcp:tools"] } },
  github: { appId: 1, signer: { type: "pem", privateKeyPath: "x.pem" } },
  policy: { file: "policy.yaml" },
};

function record(id: string, hash: string, sub: string) {
  return { id, hash, principal: { sub, groups: ["ci"] } };
}

describe("API keys read from Secrets Manager", () => {
  it("verifies keys whose hashes live in a secret, and rotation adds pending keys only when enabled", async () => {
    const live = generateApiKey();
    const next = generateApiKey();
    await sm.send(
      new CreateSecretCommand({
        Name: "repogate/api-keys",
        SecretString: JSON.stringify({ apiKeys: [record(live.id, live.hash, "svc-live")] }),
      }),
    );
    const config = parseConfig({
      ...baseConfig,
      aws: { endpoint: aws.url },
      secrets: { store: "secretsmanager", apiKeysSecret: "repogate/api-keys" },
    });
    const client = new SecretsManagerClient({ endpoint: aws.url, region: "us-east-1", credentials });
    const store = createSecretStoreFromConfig(config, { client });
    const secretName = config.secrets.apiKeysSecret as string;
    const strict = createApiKeyVerifier({ store: createSecretApiKeyStore({ store, secretName }) });
    await expect(strict.verify(live.key)).resolves.toMatchObject({ sub: "svc-live", via: "api-key" });

    // Rotation step 1: the new record set is written as AWSPENDING.
    await sm.send(
      new PutSecretValueCommand({
        SecretId: "repogate/api-keys",
        SecretString: JSON.stringify([
          record(live.id, live.hash, "svc-live"),
          record(next.id, next.hash, "svc-next"),
        ]),
        VersionStages: ["AWSPENDING"],
      }),
    );
    const lenient = createApiKeyVerifier({
      store: createSecretApiKeyStore({ store, secretName, acceptPending: true }),
    });
    await expect(lenient.verify(next.key)).resolves.toMatchObject({ sub: "svc-next" });
    await expect(lenient.verify(live.key)).resolves.toMatchObject({ sub: "svc-live" });
    await strict.refresh();
    await expect(strict.verify(next.key)).rejects.toMatchObject({ code: "API_KEY_INVALID" });
    client.destroy();
  });

  it("accepts no pending version as 'no rotation in progress'", async () => {
    const key = generateApiKey();
    await sm.send(
      new CreateSecretCommand({
        Name: "repogate/api-keys-2",
        SecretString: JSON.stringify([record(key.id, key.hash, "svc")]),
      }),
    );
    const client = new SecretsManagerClient({ endpoint: aws.url, region: "us-east-1", credentials });
    const store = createSecretStoreFromConfig(
      parseConfig({ ...baseConfig, aws: { endpoint: aws.url }, secrets: { store: "secretsmanager" } }),
      { client },
    );
    const records = await createSecretApiKeyStore({
      store,
      secretName: "repogate/api-keys-2",
      acceptPending: true,
    }).loadApiKeys();
    expect(records.map((r) => r.id)).toEqual([key.id]);
    client.destroy();
  });
});

describe("local secret stores", () => {
  it("maps secret names to REPOGATE_SECRET_* variables and reads the given env object only", async () => {
    expect(secretEnvName("repogate/api-keys")).toBe("REPOGATE_SECRET_REPOGATE_API_KEYS");
    const store = createEnvSecretStore({ REPOGATE_SECRET_WEBHOOK: "hook-secret" });
    await expect(store.get("webhook")).resolves.toMatchObject({
      value: "hook-secret",
      stages: ["AWSCURRENT"],
    });
    const missing = await store.get("other").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SecretStoreError);
    expect((missing as Error).message).toContain("REPOGATE_SECRET_OTHER");
    await expect(store.get("webhook", { stage: "AWSPENDING" })).rejects.toMatchObject({
      code: "SECRET_NOT_FOUND",
    });
  });

  it("reads a YAML secrets file (structured values as JSON), re-reading it after an edit", async () => {
    const file = join(dir, "secrets.yaml");
    await writeFile(file, "secrets:\n  webhook: first\n  settings:\n    token: abc\n    ttl: 5\n");
    const store = createFileSecretStore(file);
    await expect(store.get("webhook")).resolves.toMatchObject({ value: "first" });
    await expect(
      store.getJson("settings", z.object({ token: z.string(), ttl: z.number() })),
    ).resolves.toEqual({
      token: "abc",
      ttl: 5,
    });
    await writeFile(file, "webhook: second\n");
    await expect(store.get("webhook")).resolves.toMatchObject({ value: "second" });
    await expect(createFileSecretStore(join(dir, "nope.yaml")).get("x")).rejects.toMatchObject({
      code: "SECRET_STORE_INVALID",
    });
  });

  it("chains environment before file, and the config's local store does the same", async () => {
    const file = join(dir, "chain.yaml");
    await writeFile(file, "webhook: from-file\nonly-file: f\n");
    const config = parseConfig({ ...baseConfig, secrets: { file } });
    expect(config.secrets).toMatchObject({ store: "local", cacheTtlMs: 300_000, maxStaleMs: 3_600_000 });
    const store = createSecretStoreFromConfig(config, { env: { REPOGATE_SECRET_WEBHOOK: "from-env" } });
    await expect(store.get("webhook")).resolves.toMatchObject({ value: "from-env" });
    await expect(store.get("only-file")).resolves.toMatchObject({ value: "f" });
    const error = await store.get("absent").catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/REPOGATE_SECRET_ABSENT.*chain\.yaml/);
    expect(() => createChainedSecretStore([])).toThrow(SecretStoreError);
  });

  it("gives the webhook secrets to try: current, then pending when enabled", async () => {
    await sm.send(new CreateSecretCommand({ Name: "repogate/webhook", SecretString: "hook-1" }));
    await sm.send(
      new PutSecretValueCommand({
        SecretId: "repogate/webhook",
        SecretString: "hook-2",
        VersionStages: ["AWSPENDING"],
      }),
    );
    const client = new SecretsManagerClient({ endpoint: aws.url, region: "us-east-1", credentials });
    const store = createSecretStoreFromConfig(
      parseConfig({ ...baseConfig, aws: { endpoint: aws.url }, secrets: { store: "secretsmanager" } }),
      { client },
    );
    await expect(createWebhookSecretGetter({ store, secretName: "repogate/webhook" })()).resolves.toEqual([
      "hook-1",
    ]);
    await expect(
      createWebhookSecretGetter({ store, secretName: "repogate/webhook", acceptPending: true })(),
    ).resolves.toEqual(["hook-1", "hook-2"]);
    const local = createEnvSecretStore({ REPOGATE_SECRET_HOOK: "h" });
    await expect(
      createWebhookSecretGetter({ store: local, secretName: "hook", acceptPending: true })(),
    ).resolves.toEqual(["h"]);
    client.destroy();
  });
});

describe("API-key store and secrets settings from config", () => {
  it("prefers secrets.apiKeysSecret, falls back to auth.apiKeysFile, else none", async () => {
    const key = generateApiKey();
    const file = join(dir, "keys.yaml");
    await writeFile(file, JSON.stringify([record(key.id, key.hash, "from-file")]));
    const env = { REPOGATE_SECRET_KEYS: JSON.stringify([record(key.id, key.hash, "from-secret")]) };
    const withSecret = parseConfig({
      ...baseConfig,
      auth: { ...baseConfig.auth, apiKeysFile: file },
      secrets: { apiKeysSecret: "keys" },
    });
    const secrets = createSecretStoreFromConfig(withSecret, { env });
    const fromSecret = createApiKeyStoreFromConfig(withSecret, secrets);
    expect((await fromSecret?.loadApiKeys())?.[0]?.principal.sub).toBe("from-secret");
    const fileOnly = parseConfig({ ...baseConfig, auth: { ...baseConfig.auth, apiKeysFile: file } });
    expect((await createApiKeyStoreFromConfig(fileOnly, secrets)?.loadApiKeys())?.[0]?.principal.sub).toBe(
      "from-file",
    );
    expect(createApiKeyStoreFromConfig(parseConfig(baseConfig), secrets)).toBeUndefined();
  });

  it("takes the store, secret names and metrics exporter from REPOGATE_* overrides", async () => {
    const file = join(dir, "config.json");
    await writeFile(file, JSON.stringify(baseConfig));
    const config = await loadConfig({
      file,
      env: {
        REPOGATE_SECRETS_STORE: "secretsmanager",
        REPOGATE_API_KEYS_SECRET: "repogate/api-keys",
        REPOGATE_WEBHOOK_SECRET_NAME: "repogate/webhook",
        REPOGATE_METRICS_EXPORTER: "emf",
        REPOGATE_SECRET_IGNORED: "a secret value is not a setting",
      },
    });
    expect(config).toMatchObject({
      secrets: {
        store: "secretsmanager",
        apiKeysSecret: "repogate/api-keys",
        webhookSecret: "repogate/webhook",
      },
      metrics: { exporter: "emf" },
    });
    expect(JSON.stringify(config)).not.toContain("a secret value");
  });
});

describe("which Secrets Manager failures count as 'unreachable'", () => {
  it("serves stale only for throttling, 5xx and network errors", () => {
    const aws = (name: string, status?: number) =>
      Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
    expect(isTransientSecretsError(aws("ThrottlingException", 400))).toBe(true);
    expect(isTransientSecretsError(aws("InternalServiceError", 500))).toBe(true);
    expect(isTransientSecretsError(aws("ServiceUnavailable", 503))).toBe(true);
    expect(isTransientSecretsError(aws("TimeoutError"))).toBe(true);
    expect(
      isTransientSecretsError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })),
    ).toBe(true);
    expect(isTransientSecretsError(aws("AccessDeniedException", 400))).toBe(false);
    expect(isTransientSecretsError(aws("ResourceNotFoundException", 400))).toBe(false);
    expect(isTransientSecretsError(aws("DecryptionFailure", 400))).toBe(false);
    expect(isTransientSecretsError(aws("UnrecognizedClientException", 400))).toBe(false);
    expect(isTransientSecretsError(aws("SomeNewClientError", 400))).toBe(false);
  });
});
