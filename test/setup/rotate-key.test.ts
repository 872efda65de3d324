/**
 * `repogate setup rotate-key`: a key the admin generated in the App's settings (the emulator's control API plays
 * that page) goes into a new KMS key; the alias moves only once GitHub accepts its JWT; the old key is scheduled
 * for deletion; `app.key.rotate` is audited. A PEM that is not the App's leaves the alias where it was.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateAliasCommand, DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createExternalSigningKey,
  importPrivateKey,
  parseAppPrivateKey,
} from "../../src/aws/kms-key-import.ts";
import { parseConfig, type RepogateConfig } from "../../src/config/index.ts";
import { rotateKeyFromConfig } from "../../src/setup/rotate-key-command.ts";
import {
  type EmulatorFixture as AwsFixture,
  kmsClient,
  startFixture as startAws,
} from "../aws-emulator/fixture.ts";
import {
  type EmulatorFixture as GitHubFixture,
  startFixture as startGitHub,
} from "../github-emulator/harness.ts";

const ALIAS = "alias/repogate-github-app";
let github: GitHubFixture;
let aws: AwsFixture;
let kms: KMSClient;
let dir: string;
let config: RepogateConfig;
let originalKeyId: string;

async function describeKey(keyId: string) {
  return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
}

async function generateAppKey(): Promise<string> {
  const response = await fetch(`${github.github.url}/_emulator/app/keys`, { method: "POST" });
  return ((await response.json()) as { pem: string }).pem;
}

beforeAll(async () => {
  [github, aws] = await Promise.all([startGitHub(), startAws()]);
  kms = kmsClient(aws.emulator);
  dir = await mkdtemp(join(tmpdir(), "repogate-rotate-"));
  // The App's current key (the emulator's seed key) already lives in KMS behind the alias.
  const { key } = parseAppPrivateKey(github.privateKey);
  const current = await createExternalSigningKey(kms, "RSA_2048", "current App key");
  originalKeyId = current.KeyId as string;
  await importPrivateKey(kms, originalKeyId, key);
  await kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: originalKeyId }));
  config = parseConfig({
    publicUrl: "https://repogate.mycompany.example",
    auth: { oidc: { issuer: "https://sso.mycompany.example", requiredScopes: ["mcp:tools"] } },
    github: {
      apiUrl: github.github.url,
      appId: github.github.app.id,
      clientId: github.github.app.clientId,
      signer: { type: "kms", keyId: ALIAS, region: "us-east-1", endpoint: aws.emulator.url },
    },
    policy: { file: join(dir, "policy.yaml") },
    audit: { sink: "jsonl", file: join(dir, "audit", "audit.jsonl") },
  });
}, 60_000);

afterAll(async () => {
  kms?.destroy();
  await Promise.all([github?.stop(), aws?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe("setup rotate-key", () => {
  it("refuses a key that is not the App's, leaving the alias on the working key", async () => {
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
      type: "pkcs1",
      format: "pem",
    }) as string;
    const attempt = rotateKeyFromConfig(config, {
      pem: stranger,
      pemFile: "stranger.pem",
      deletionWindowDays: 30,
      hasAwsCredentials: false,
    });
    await expect(attempt).rejects.toMatchObject({ code: "APP_KEY_REJECTED" });
    await expect(attempt).rejects.toThrow(/still points at the old key.*scheduled for deletion in 7 days/);
    expect((await describeKey(ALIAS))?.KeyId).toBe(originalKeyId);
  });

  it("when the alias cannot be moved, schedules the new key's deletion and leaves the old key working", async () => {
    const pem = await generateAppKey();
    const before = await describeKey(ALIAS);
    aws.emulator.faults.set({ service: "kms", kind: "denied", operation: "UpdateAlias" });
    let error: unknown;
    try {
      error = await rotateKeyFromConfig(config, {
        pem,
        pemFile: "app.pem",
        deletionWindowDays: 10,
        hasAwsCredentials: false,
      }).catch((e: unknown) => e);
    } finally {
      aws.emulator.faults.clear();
    }
    expect(error).toMatchObject({ code: "KMS_ACCESS_DENIED" });
    const message = String((error as Error).message);
    expect(message).toMatch(/still points at the old key.*scheduled for deletion in 7 days/);
    const newKeyId = /new KMS key (\S+) is scheduled/.exec(message)?.[1] as string;
    expect(await describeKey(newKeyId)).toMatchObject({ KeyState: "PendingDeletion" });
    expect((await describeKey(ALIAS))?.KeyId).toBe(before?.KeyId);
    expect(await describeKey(before?.KeyId as string)).toMatchObject({ KeyState: "Enabled" });
  });

  it("imports the new key, moves the alias, schedules the old key's deletion and audits it", async () => {
    const pem = await generateAppKey();
    const pemFile = join(dir, "app.2026-12-07.private-key.pem");
    await writeFile(pemFile, pem, { mode: 0o600 });
    const lines = await rotateKeyFromConfig(config, {
      pem,
      pemFile,
      deletionWindowDays: 10,
      hasAwsCredentials: false,
    });
    const current = await describeKey(ALIAS);
    expect(current?.KeyId).not.toBe(originalKeyId);
    expect(current).toMatchObject({ KeyState: "Enabled", Origin: "EXTERNAL" });
    const old = await describeKey(originalKeyId);
    expect(old).toMatchObject({ KeyState: "PendingDeletion", PendingDeletionWindowInDays: 10 });
    expect(lines.join("\n")).toContain(`shred -u ${pemFile}`);
    expect(lines.join("\n")).toContain("delete the");

    const auditDir = join(dir, "audit");
    const files = (await readdir(auditDir)).filter((f) => f.endsWith(".jsonl"));
    const text = (await Promise.all(files.map((f) => readFile(join(auditDir, f), "utf8")))).join("\n");
    const audit = text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const rotation = audit.find((e) => e.type === "app.key.rotate");
    expect(rotation).toMatchObject({
      outcome: "ok",
      details: {
        appId: github.github.app.id,
        alias: ALIAS,
        newKeyId: current?.KeyId,
        oldKeyId: originalKeyId,
      },
    });
    expect(JSON.stringify(audit)).not.toContain("PRIVATE KEY");
  });
});
