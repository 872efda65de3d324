import { readFile } from "node:fs/promises";
import { KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KmsAppJwtSigner } from "../../src/aws/kms-signer.ts";
import {
  createAppJwtSigner,
  createGitHubClients,
  type GitHubClientsOptions,
} from "../../src/github/index.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../../wrangler-free-local/aws/kms/import-key.ts";
import {
  emulatorBrokerOptions,
  type GitHubEmulator,
  recordingCall,
  serializeError,
  startGitHub,
  tempDir,
} from "./harness.ts";

let github: GitHubEmulator;
let aws: RunningAwsEmulator;
let dir: { path: string; remove: () => Promise<void> };
let kms: KMSClient;
const ALIAS = "alias/repogate-github-app";

function kmsClient(maxAttempts?: number): KMSClient {
  return new KMSClient({
    region: aws.region,
    endpoint: aws.url,
    credentials: { accessKeyId: "emulator-test-key", secretAccessKey: "local-secret" },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
}

function brokerWith(signer: KmsAppJwtSigner, overrides: Partial<GitHubClientsOptions> = {}) {
  return createGitHubClients({ ...emulatorBrokerOptions(github), signer, retries: 1, ...overrides });
}

beforeAll(async () => {
  dir = await tempDir("repogate-kms-");
  [github, aws] = await Promise.all([
    startGitHub(dir.path),
    startAwsEmulator({ dataDir: dir.path, port: 0 }),
  ]);
  kms = kmsClient();
  // The App's key goes into an EXTERNAL KMS key, as an admin would import it; repogate only ever calls Sign.
  await importRsaKeyIntoKms(kms, await readFile(github.app.privateKeyPath, "utf8"), { alias: ALIAS });
});
afterAll(async () => {
  kms?.destroy();
  await Promise.all([github?.close(), aws?.close()]);
  await dir?.remove();
});

describe("KmsAppJwtSigner", () => {
  it("signs an App JWT the GitHub emulator accepts on GET /app", async () => {
    const signer = new KmsAppJwtSigner({ keyId: ALIAS, client: kms });
    const { app } = brokerWith(signer);
    const before = aws.calls.count("kms", "Sign");
    const data = await app.getApp();
    expect(data.slug).toBe(github.app.slug);
    expect(aws.calls.count("kms", "Sign")).toBe(before + 1);
    expect(signer.describe()).toMatchObject({
      kind: "kms",
      keyId: ALIAS,
      signingAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
    });
  });

  it("builds its own client from region and endpoint", async () => {
    const signer = new KmsAppJwtSigner({
      keyId: ALIAS,
      region: aws.region,
      endpoint: aws.url,
      credentials: { accessKeyId: "emulator-test-key", secretAccessKey: "local-secret" },
    });
    const { app } = brokerWith(signer);
    await expect(app.getApp()).resolves.toMatchObject({ id: github.app.id });
  });

  it("is what createAppJwtSigner builds from a kms signer config", async () => {
    const signer = await createAppJwtSigner(
      { type: "kms", keyId: ALIAS, region: aws.region, endpoint: aws.url },
      { credentials: { accessKeyId: "emulator-test-key", secretAccessKey: "local-secret" } },
    );
    expect(signer).toBeInstanceOf(KmsAppJwtSigner);
    const { app } = brokerWith(signer as KmsAppJwtSigner);
    await expect(app.getApp()).resolves.toMatchObject({ id: github.app.id });
  });

  it("N=50 concurrent withToken calls cause exactly one KMS Sign; the next only when the JWT nears expiry", async () => {
    let offsetMs = -470_000; // first JWT: iat = now-530 s, exp = now+70 s, valid at the emulator
    const signer = new KmsAppJwtSigner({ keyId: ALIAS, client: kms });
    const { tokens, jwt } = brokerWith(signer, { clock: () => Date.now() + offsetMs });
    aws.calls.reset();
    github.log.reset();

    await Promise.all(
      Array.from({ length: 50 }, () =>
        tokens.withToken(
          { repository: "mycompany/web", operation: "read" },
          recordingCall(),
          async (octokit) => {
            const { data } = await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
            return data.id;
          },
        ),
      ),
    );
    expect(aws.calls.count("kms", "Sign")).toBe(1);
    expect(jwt.signatureCount).toBe(1);
    expect(github.log.mints).toHaveLength(50);

    offsetMs = -20_000; // 90 s of validity left: still reused
    await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async () => undefined,
    );
    expect(aws.calls.count("kms", "Sign")).toBe(1);

    offsetMs = 15_000; // 55 s left: re-signed, and the new JWT is accepted
    await Promise.all(
      Array.from({ length: 5 }, () =>
        tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => 1),
      ),
    );
    expect(aws.calls.count("kms", "Sign")).toBe(2);
    expect(github.log.mints).toHaveLength(56);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(56);
  });

  it("fails with KMS_SIGN_FAILED naming the AWS error for an unknown key, and mints nothing", async () => {
    const { tokens } = brokerWith(new KmsAppJwtSigner({ keyId: "alias/does-not-exist", client: kms }));
    github.log.reset();
    const error = await tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => "never")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "KMS_SIGN_FAILED", awsErrorName: "NotFoundException" });
    expect((error as Error).message).toContain("alias/does-not-exist");
    expect(github.log.mints).toHaveLength(0);
    expect(serializeError(error)).not.toMatch(/eyJ[A-Za-z0-9_-]+\./);
  });

  it("gives up on a hung KMS after timeoutMs", async () => {
    const client = kmsClient(1);
    const { tokens } = brokerWith(new KmsAppJwtSigner({ keyId: ALIAS, client, timeoutMs: 300 }));
    const fault = aws.faults.set({
      service: "kms",
      kind: "latency",
      latencyMs: 3000,
      operation: "Sign",
      count: 1,
    });
    // Ordering, not a stopwatch: the error must come before the hung Sign would have answered.
    const signAnswers = new Promise((resolve) => setTimeout(() => resolve("KMS answered first"), 3000));
    const call = tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => "never")
      .catch((e: unknown) => e);
    const error = await Promise.race([call, signAnswers]);
    expect(error).toMatchObject({
      code: "KMS_SIGN_FAILED",
      awsErrorName: expect.stringMatching(/Abort|Timeout/),
    });
    aws.faults.clear({ id: fault.id });
    client.destroy();
  });

  it("does not cache a failed signing: after a KMS fault clears, the next request signs and succeeds", async () => {
    const client = kmsClient(1);
    const { tokens } = brokerWith(new KmsAppJwtSigner({ keyId: ALIAS, client }));
    const fault = aws.faults.set({ service: "kms", kind: "throttle", operation: "Sign" });
    aws.calls.reset();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => 1),
      ),
    );
    expect(
      results.every(
        (r) => r.status === "rejected" && (r.reason as { code?: string }).code === "KMS_SIGN_FAILED",
      ),
    ).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({
      awsErrorName: "ThrottlingException",
    });
    expect(aws.calls.count("kms", "Sign")).toBe(1);
    aws.faults.clear({ id: fault.id });
    await expect(
      tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => "ok"),
    ).resolves.toBe("ok");
    expect(aws.calls.count("kms", "Sign")).toBe(2);
    await tokens.drain();
    client.destroy();
  });
});
