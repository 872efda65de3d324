import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateAliasCommand, CreateKeyCommand, KMSClient, UpdateAliasCommand } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KmsAppJwtSigner, KmsDescribeKeyError } from "../../src/aws/kms-signer.ts";
import { parseConfig } from "../../src/config/index.ts";
import { PemAppJwtSigner } from "../../src/github/pem-signer.ts";
import { createPrometheusMetrics, resolveAppKeyCreatedAt, trackAppKeyAge } from "../../src/metrics/index.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";

let aws: RunningAwsEmulator;
let dir: string;
let kms: KMSClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "repogate-keyage-"));
  aws = await startAwsEmulator({ dataDir: dir, port: 0 });
  kms = new KMSClient({
    endpoint: aws.url,
    region: "us-east-1",
    credentials: { accessKeyId: "emulator-test-key", secretAccessKey: "x" },
  });
});
afterAll(async () => {
  kms?.destroy();
  await aws?.close();
  await rm(dir, { recursive: true, force: true });
});

function metricsConfig(metrics: Record<string, unknown> = {}) {
  return parseConfig({
    publicUrl: "http://127.0.0.1:8700",
    auth: { oidc: { issuer: "http://127.0.0.1:8702", requiredScopes: ["mcp:tools"] } },
    github: { appId: 1, signer: { type: "pem", privateKeyPath: "k.pem" } },
    policy: { file: "p.yaml" },
    metrics,
  }).metrics;
}

async function createSigningKey(): Promise<{ keyId: string; createdAt: Date }> {
  const created = await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }));
  return {
    keyId: created.KeyMetadata?.KeyId as string,
    createdAt: created.KeyMetadata?.CreationDate as Date,
  };
}

describe("app_key_age_days", () => {
  it("reads the KMS key's CreationDate through the signer, or the configured date, and sets the gauge", async () => {
    const { keyId } = await createSigningKey();
    const kmsSigner = new KmsAppJwtSigner({ keyId, client: kms });
    const before = aws.calls.count("kms", "DescribeKey");
    const fromKms = await resolveAppKeyCreatedAt(metricsConfig(), kmsSigner);
    expect(fromKms).toBeInstanceOf(Date);
    expect(Math.abs((fromKms as Date).getTime() - Date.now())).toBeLessThan(60_000);
    expect(aws.calls.count("kms", "DescribeKey")).toBe(before + 1);

    // The configured date wins, and KMS is not asked.
    const configured = metricsConfig({ appKeyCreatedAt: "2026-01-01T00:00:00Z" });
    const fromConfig = await resolveAppKeyCreatedAt(configured, kmsSigner);
    expect(fromConfig?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(aws.calls.count("kms", "DescribeKey")).toBe(before + 1);
    // A PEM key has no creation date of its own.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pemSigner = new PemAppJwtSigner(privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    expect(await resolveAppKeyCreatedAt(metricsConfig(), pemSigner)).toBeUndefined();

    const metrics = createPrometheusMetrics();
    const stop = await trackAppKeyAge(metrics, () => resolveAppKeyCreatedAt(configured, pemSigner), {
      intervalMs: 60_000,
      now: () => new Date("2026-03-02T00:00:00Z"),
    });
    stop();
    expect(await metrics.exposition()).toContain("repogate_app_key_age_days 60");
  });

  it("asks KMS on every read, so once rotate-key moves the alias the new key's date is the answer", async () => {
    const oldKey = await createSigningKey();
    const alias = "alias/repogate-key-age-test";
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: oldKey.keyId }));
    const signer = new KmsAppJwtSigner({ keyId: alias, client: kms });
    const before = aws.calls.count("kms", "DescribeKey");
    expect((await signer.keyCreatedAt())?.getTime()).toBe(oldKey.createdAt.getTime());

    const newKey = await createSigningKey();
    expect(newKey.createdAt.getTime()).not.toBe(oldKey.createdAt.getTime()); // else the test proves nothing
    await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: newKey.keyId }));
    expect((await signer.keyCreatedAt())?.getTime()).toBe(newKey.createdAt.getTime());
    expect(aws.calls.count("kms", "DescribeKey")).toBe(before + 2);
  });

  it("says which key it could not describe and what to allow, without failing signing", async () => {
    const signer = new KmsAppJwtSigner({ keyId: "alias/does-not-exist", client: kms });
    const failure = await signer.keyCreatedAt().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KmsDescribeKeyError);
    expect(failure).toMatchObject({ code: "KMS_DESCRIBE_KEY_FAILED", awsErrorName: "NotFoundException" });
    expect((failure as Error).message).toContain("alias/does-not-exist");
    expect((failure as Error).message).toContain("kms:DescribeKey");
  });
});
