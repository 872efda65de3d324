import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createSecretsManagerStore,
  type SecretsManagerStoreOptions,
} from "../../src/aws/secrets-manager-store.ts";
import { SecretStoreError } from "../../src/secrets/index.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";

const credentials = { accessKeyId: "emulator-test-key", secretAccessKey: "dummy-secret-for-tests" };
let aws: RunningAwsEmulator;
let dataDir: string;
let sm: SecretsManagerClient;
let storeClient: SecretsManagerClient;
let now = 1_000_000;
let seq = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "repogate-secrets-"));
  aws = await startAwsEmulator({ dataDir, port: 0 });
  sm = new SecretsManagerClient({ endpoint: aws.url, region: "us-east-1", credentials });
  // One attempt: the store's own stale logic is under test, not the SDK's retries.
  storeClient = new SecretsManagerClient({
    endpoint: aws.url,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sm?.destroy();
  storeClient?.destroy();
  await aws?.close();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => {
  aws.faults.clear();
});

async function newSecret(value: string): Promise<{ name: string; arn: string; versionId: string }> {
  seq += 1;
  const name = `repogate/test-${seq}`;
  const created = await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return { name, arn: created.ARN as string, versionId: created.VersionId as string };
}

function makeStore(overrides: Partial<SecretsManagerStoreOptions> = {}) {
  const warnings: { details: Record<string, unknown>; message: string }[] = [];
  const store = createSecretsManagerStore({
    client: storeClient,
    clock: () => now,
    logger: { warn: (details, message) => warnings.push({ details, message }) },
    ...overrides,
  });
  return { store, warnings };
}

const gets = () => aws.calls.count("secretsmanager", "GetSecretValue");

describe("Secrets Manager store: cache", () => {
  it("serves from memory within the TTL (default 5 minutes) and refetches after it", async () => {
    const { name, versionId } = await newSecret("v1");
    const { store } = makeStore();
    const before = gets();
    const first = await store.get(name);
    expect(first).toMatchObject({ name, value: "v1", versionId, stages: ["AWSCURRENT"] });
    now += 4 * 60_000;
    await store.get(name);
    await store.get(name);
    expect(gets() - before).toBe(1);
    now += 61_000;
    await store.get(name);
    expect(gets() - before).toBe(2);
  });

  it("coalesces 20 concurrent misses into one GetSecretValue", async () => {
    const { name } = await newSecret("shared");
    const { store } = makeStore();
    const before = gets();
    const values = await Promise.all(Array.from({ length: 20 }, () => store.get(name)));
    expect(values.map((v) => v.value)).toEqual(Array(20).fill("shared"));
    expect(gets() - before).toBe(1);
  });

  it("parses JSON secrets with a schema and names the secret and field when invalid", async () => {
    const { name } = await newSecret(JSON.stringify({ token: "abc", port: "x" }));
    const { store } = makeStore();
    await expect(store.getJson(name, z.object({ token: z.string() }))).resolves.toEqual({ token: "abc" });
    const error = await store.getJson(name, z.object({ port: z.number() })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).code).toBe("SECRET_INVALID");
    expect((error as Error).message).toContain(`secret ${name}: port:`);
    expect((error as Error).message).not.toContain('"x"');
  });
});

describe("Secrets Manager store: outages", () => {
  it("serves the stale value with a warning while Secrets Manager is unavailable", async () => {
    const { name } = await newSecret("before-outage");
    const { store, warnings } = makeStore({ retryAfterFailureMs: 0 });
    await store.get(name);
    aws.faults.set({ service: "secretsmanager", kind: "unavailable" });
    now += 6 * 60_000;
    const before = gets();
    const stale = await store.get(name);
    expect(stale).toMatchObject({ value: "before-outage", stale: true });
    expect(gets() - before).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/unreachable; serving the last value/);
    expect(warnings[0]?.details).toMatchObject({ secret: name, errorName: "ServiceUnavailable" });
    expect(JSON.stringify(warnings)).not.toContain("before-outage");
    // Throttling counts as unreachable too.
    aws.faults.clear();
    aws.faults.set({ service: "secretsmanager", kind: "throttle" });
    now += 1;
    await expect(store.get(name)).resolves.toMatchObject({ stale: true });
    aws.faults.clear();
    now += 1;
    const fresh = await store.get(name);
    expect(fresh.stale).toBeUndefined();
  });

  it("does not ask again during the back-off after a failed refresh", async () => {
    const { name } = await newSecret("backoff");
    const { store } = makeStore({ retryAfterFailureMs: 10_000 });
    await store.get(name);
    aws.faults.set({ service: "secretsmanager", kind: "internal" });
    now += 6 * 60_000;
    const before = gets();
    for (let i = 0; i < 5; i++) await expect(store.get(name)).resolves.toMatchObject({ stale: true });
    expect(gets() - before).toBe(1);
  });

  it("fails with a clear error once the value is older than maxStaleMs", async () => {
    const { name } = await newSecret("too-old");
    const { store } = makeStore({ maxStaleMs: 30 * 60_000, retryAfterFailureMs: 0 });
    await store.get(name);
    aws.faults.set({ service: "secretsmanager", kind: "unavailable" });
    now += 29 * 60_000;
    await expect(store.get(name)).resolves.toMatchObject({ stale: true });
    now += 2 * 60_000;
    const error = await store.get(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect(error).toMatchObject({ code: "SECRET_STALE_TOO_LONG", secretName: name });
    expect((error as Error).message).toContain("unreachable for longer than 1800 s");
  });

  it("fails at once with SECRET_UNAVAILABLE when nothing was cached", async () => {
    const { name } = await newSecret("never-read");
    const { store } = makeStore();
    aws.faults.set({ service: "secretsmanager", kind: "unavailable" });
    await expect(store.get(name)).rejects.toMatchObject({ code: "SECRET_UNAVAILABLE" });
  });

  it("gives up on a hung endpoint after timeoutMs", async () => {
    const { name } = await newSecret("slow");
    const { store } = makeStore({ timeoutMs: 200 });
    aws.faults.set({ service: "secretsmanager", kind: "latency", latencyMs: 2_000 });
    // Ordering, not a stopwatch: the refusal must come before the hung endpoint would have answered.
    const endpointAnswers = new Promise((resolve) =>
      setTimeout(() => resolve("endpoint answered first"), 2_000),
    );
    const outcome = await Promise.race([store.get(name).catch((e: unknown) => e), endpointAnswers]);
    expect(outcome).toMatchObject({ code: "SECRET_UNAVAILABLE" });
  });

  it("does not mask ResourceNotFound with a stale value", async () => {
    const { name, arn } = await newSecret("deleted-later");
    const { store, warnings } = makeStore();
    await store.get(name);
    delete aws.state.state.secretsManager.secrets[arn];
    now += 6 * 60_000;
    const error = await store.get(name).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SECRET_NOT_FOUND", secretName: name });
    expect((error as Error).message).toContain("ResourceNotFoundException");
    expect(warnings).toHaveLength(0);
    await expect(store.get("repogate/never-created")).rejects.toMatchObject({ code: "SECRET_NOT_FOUND" });
  });
});

describe("Secrets Manager store: rotation", () => {
  it("picks up AWSPENDING -> AWSCURRENT at the next refresh, without a restart", async () => {
    const { name, versionId: oldVersion } = await newSecret("old-value");
    const { store } = makeStore();
    expect((await store.get(name)).value).toBe("old-value");
    const newVersion = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: "new-value",
        ClientRequestToken: newVersion,
        VersionStages: ["AWSPENDING"],
      }),
    );
    now += 6 * 60_000;
    expect((await store.get(name)).value).toBe("old-value");
    expect(await store.get(name, { stage: "AWSPENDING" })).toMatchObject({
      value: "new-value",
      versionId: newVersion,
      stages: ["AWSPENDING"],
    });
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: newVersion,
        RemoveFromVersionId: oldVersion,
      }),
    );
    // Still cached until the TTL runs out...
    expect((await store.get(name)).value).toBe("old-value");
    now += 5 * 60_000;
    const rotated = await store.get(name);
    expect(rotated).toMatchObject({ value: "new-value", versionId: newVersion });
    expect(rotated.stages).toContain("AWSCURRENT");
  });

  it("takes a missing AWSPENDING/AWSPREVIOUS version as an answer: asked once per TTL, no refresh failure", async () => {
    const { name } = await newSecret("only-current");
    const failures: unknown[] = [];
    const { store } = makeStore({ onRefreshFailure: (event) => failures.push(event) });
    const before = gets();
    for (let i = 0; i < 5; i++) {
      for (const stage of ["AWSPENDING", "AWSPREVIOUS"]) {
        await expect(store.get(name, { stage })).rejects.toMatchObject({ code: "SECRET_NOT_FOUND" });
      }
    }
    expect(gets() - before).toBe(2);
    expect(failures).toEqual([]);
    // After the TTL it is asked again: a rotation that has begun meanwhile is seen.
    now += 6 * 60_000;
    await expect(store.get(name, { stage: "AWSPENDING" })).rejects.toMatchObject({
      code: "SECRET_NOT_FOUND",
    });
    expect(gets() - before).toBe(3);
    // A missing AWSCURRENT (a deleted secret) still counts as a failure.
    await expect(store.get("repogate/never-created")).rejects.toMatchObject({ code: "SECRET_NOT_FOUND" });
    expect(failures).toHaveLength(1);
  });
});
