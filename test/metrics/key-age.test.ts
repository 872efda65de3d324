import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.ts";
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

function config(signer: Record<string, unknown>, metrics: Record<string, unknown> = {}) {
  return parseConfig({
    publicUrl: "http://127.0.0.1:8700",
    auth: { oidc: { issuer: "http://127.0.0.1:8702", requiredScopes: ["mcp:tools"] } },
    github: { appId: 1, signer },
    policy: { file: "p.yaml" },
    metrics,
  });
}

describe("app_key_age_days", () => {
  it("reads the KMS key's CreationDate, or the configured date, and sets the gauge", async () => {
    const created = await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }));
    const keyId = created.KeyMetadata?.KeyId as string;
    const fromKms = await resolveAppKeyCreatedAt(config({ type: "kms", keyId }), kms);
    expect(fromKms).toBeInstanceOf(Date);
    expect(Math.abs((fromKms as Date).getTime() - Date.now())).toBeLessThan(60_000);
    expect(aws.calls.count("kms", "DescribeKey")).toBe(1);

    const pem = config({ type: "pem", privateKeyPath: "k.pem" }, { appKeyCreatedAt: "2026-01-01T00:00:00Z" });
    const fromConfig = await resolveAppKeyCreatedAt(pem, kms);
    expect(fromConfig?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(await resolveAppKeyCreatedAt(config({ type: "pem", privateKeyPath: "k.pem" }))).toBeUndefined();

    const metrics = createPrometheusMetrics();
    const stop = trackAppKeyAge(metrics, fromConfig as Date, 60_000, () => new Date("2026-03-02T00:00:00Z"));
    stop();
    expect(await metrics.exposition()).toContain("repogate_app_key_age_days 60");
  });
});
