import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSInternalException,
  type KMSServiceException,
  SignCommand,
} from "@aws-sdk/client-kms";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, kmsClient, startFixture } from "./fixture.ts";

let fixture: EmulatorFixture;
let keyId: string;

beforeAll(async () => {
  fixture = await startFixture();
  const kms = kmsClient(fixture.emulator);
  const created = await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }));
  keyId = created.KeyMetadata?.KeyId as string;
  kms.destroy();
});

afterEach(() => {
  fixture.emulator.faults.clear();
  fixture.emulator.calls.reset();
});

afterAll(async () => {
  await fixture?.stop();
});

function signRequest() {
  return new SignCommand({
    KeyId: keyId,
    Message: Buffer.from("m"),
    SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
  });
}

describe("AWS JSON protocol and SigV4", () => {
  it("refuses a request without an Authorization header as AWS does", async () => {
    fixture.emulator.calls.reset();
    const response = await fetch(`${fixture.emulator.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.DescribeKey" },
      body: JSON.stringify({ KeyId: keyId }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({
      __type: "MissingAuthenticationTokenException",
      message: "Missing Authentication Token",
    });
    expect(fixture.emulator.calls.count("kms")).toBe(0);
  });

  it("refuses a malformed SigV4 header and a credential scoped to another service", async () => {
    const send = (authorization: string) =>
      fetch(`${fixture.emulator.url}/`, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "TrentService.DescribeKey",
          authorization,
        },
        body: JSON.stringify({ KeyId: keyId }),
      });
    const malformed = await send("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { __type: string }).__type).toBe("IncompleteSignatureException");
    const wrongService = await send(
      "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=abc",
    );
    expect(((await wrongService.json()) as { __type: string }).__type).toBe("InvalidSignatureException");
    const ok = await send(
      "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=abc",
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/x-amz-json-1.1");
  });

  it("takes the region of ARNs from the credential scope", async () => {
    const kms = new (await import("@aws-sdk/client-kms")).KMSClient({
      endpoint: fixture.emulator.url,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
    });
    const created = await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }));
    expect(created.KeyMetadata?.Arn).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\//);
    // A key lives in one region: us-east-1 callers do not see it.
    const other = kmsClient(fixture.emulator);
    await expect(
      other.send(new DescribeKeyCommand({ KeyId: created.KeyMetadata?.KeyId })),
    ).rejects.toMatchObject({
      name: "NotFoundException",
    });
    kms.destroy();
    other.destroy();
  });
});

describe("fault switch", () => {
  it("throttles: the SDK raises ThrottlingException with retries off, and succeeds after retrying a one-shot fault", async () => {
    fixture.emulator.faults.set({ service: "kms", kind: "throttle", operation: "Sign" });
    const noRetry = kmsClient(fixture.emulator, { maxAttempts: 1 });
    const error = await noRetry.send(signRequest()).catch((e: unknown) => e);
    expect((error as KMSServiceException).name).toBe("ThrottlingException");
    expect((error as KMSServiceException).$metadata.httpStatusCode).toBe(400);
    // Other operations are not affected by a Sign-only fault.
    await noRetry.send(new DescribeKeyCommand({ KeyId: keyId }));
    fixture.emulator.faults.clear({ service: "kms" });
    fixture.emulator.calls.reset();

    fixture.emulator.faults.set({ service: "kms", kind: "throttle", operation: "Sign", count: 1 });
    const retrying = kmsClient(fixture.emulator);
    const signed = await retrying.send(signRequest());
    expect(signed.Signature?.length).toBe(256);
    expect(signed.$metadata.attempts).toBe(2);
    expect(fixture.emulator.calls.count("kms", "Sign")).toBe(2);
    noRetry.destroy();
    retrying.destroy();
  });

  it("answers 5xx with the service's internal error class, and delays with latency faults", async () => {
    fixture.emulator.faults.set({ service: "kms", kind: "internal", count: 1 });
    const kms = kmsClient(fixture.emulator, { maxAttempts: 1 });
    const error = await kms.send(signRequest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KMSInternalException);
    expect((error as KMSInternalException).$metadata.httpStatusCode).toBe(500);
    fixture.emulator.faults.set({ service: "kms", kind: "unavailable", count: 1 });
    const unavailable = await kms.send(signRequest()).catch((e: unknown) => e);
    expect((unavailable as KMSServiceException).$metadata.httpStatusCode).toBe(503);

    fixture.emulator.faults.set({ service: "kms", kind: "latency", latencyMs: 300, count: 1 });
    const started = Date.now();
    await kms.send(signRequest());
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(fixture.emulator.faults.list()).toEqual([]);
    kms.destroy();
  });

  it("is controlled over HTTP, per service, with call counts readable over HTTP", async () => {
    const url = fixture.emulator.url;
    const set = await fetch(`${url}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "kms", kind: "throttle", operation: "DescribeKey" }),
    });
    expect(set.status).toBe(201);
    const bad = await fetch(`${url}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "s3", kind: "throttle" }),
    });
    expect(bad.status).toBe(400);

    const kms = kmsClient(fixture.emulator, { maxAttempts: 1 });
    await expect(kms.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({
      name: "ThrottlingException",
    });
    await kms.send(signRequest());
    await kms.send(signRequest());

    const calls = (await (await fetch(`${url}/_emulator/calls`)).json()) as {
      calls: Record<string, Record<string, number>>;
    };
    expect(calls.calls.kms).toEqual({ Sign: 2, DescribeKey: 1 });

    const cleared = await fetch(`${url}/_emulator/faults?service=kms`, { method: "DELETE" });
    expect(((await cleared.json()) as { cleared: number }).cleared).toBe(1);
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    await fetch(`${url}/_emulator/reset-calls`, { method: "POST" });
    const after = (await (await fetch(`${url}/_emulator/calls`)).json()) as {
      calls: Record<string, unknown>;
    };
    expect(after.calls).toEqual({});
    kms.destroy();
  });
});

describe("standalone runner", () => {
  it("serves on the given port and data dir, and exits cleanly on SIGTERM", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "repogate-aws-main-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "wrangler-free-local/aws/main.ts", "--port", "0", "--data-dir", dataDir],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1] as string);
        });
        child.once("exit", (code) => reject(new Error(`runner exited early with ${code}`)));
      });
      const kms = new (await import("@aws-sdk/client-kms")).KMSClient({
        endpoint: url,
        region: "us-east-1",
        credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
      });
      await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }));
      kms.destroy();
      expect((await stat(join(dataDir, "aws", "state.json"))).isFile()).toBe(true);
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
