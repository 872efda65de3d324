import { createHash, createPublicKey, constants as cryptoConstants, verify } from "node:crypto";
import { stat } from "node:fs/promises";
import {
  AlreadyExistsException,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  InvalidAliasNameException,
  type KMSClient,
  KMSInvalidSignatureException,
  KMSServiceException,
  NotFoundException,
  SignCommand,
  type SigningAlgorithmSpec,
  VerifyCommand,
} from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, kmsClient, startFixture } from "./fixture.ts";

let fixture: EmulatorFixture;
let kms: KMSClient;
let keyId: string;
let keyArn: string;

beforeAll(async () => {
  fixture = await startFixture();
  kms = kmsClient(fixture.emulator);
  const created = await kms.send(
    new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY", Description: "test signer" }),
  );
  keyId = created.KeyMetadata?.KeyId as string;
  keyArn = created.KeyMetadata?.Arn as string;
});

afterAll(async () => {
  kms?.destroy();
  await fixture?.stop();
});

async function publicKeyOf(id: string) {
  const response = await kms.send(new GetPublicKeyCommand({ KeyId: id }));
  return createPublicKey({ key: Buffer.from(response.PublicKey as Uint8Array), format: "der", type: "spki" });
}

describe("CreateKey, CreateAlias, DescribeKey", () => {
  it("creates an RSA signing key with AWS's KeyMetadata", async () => {
    expect(keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(keyArn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({
      AWSAccountId: "000000000000",
      KeyId: keyId,
      Arn: keyArn,
      Enabled: true,
      Description: "test signer",
      KeyUsage: "SIGN_VERIFY",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      KeySpec: "RSA_2048",
      CustomerMasterKeySpec: "RSA_2048",
      SigningAlgorithms: [
        "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384",
        "RSASSA_PKCS1_V1_5_SHA_512",
        "RSASSA_PSS_SHA_256",
        "RSASSA_PSS_SHA_384",
        "RSASSA_PSS_SHA_512",
      ],
    });
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(Number(KeyMetadata?.CreationDate) - Date.now())).toBeLessThan(60_000);
  });

  it("resolves a key by id, key ARN, alias name and alias ARN", async () => {
    await kms.send(new CreateAliasCommand({ AliasName: "alias/repogate-test", TargetKeyId: keyId }));
    for (const id of [
      keyId,
      keyArn,
      "alias/repogate-test",
      "arn:aws:kms:us-east-1:000000000000:alias/repogate-test",
    ]) {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: id }));
      expect(KeyMetadata?.KeyId).toBe(keyId);
    }
  });

  it("raises the SDK's exception classes for alias and lookup errors", async () => {
    await expect(
      kms.send(new CreateAliasCommand({ AliasName: "alias/repogate-test", TargetKeyId: keyId })),
    ).rejects.toBeInstanceOf(AlreadyExistsException);
    await expect(
      kms.send(new CreateAliasCommand({ AliasName: "no-prefix", TargetKeyId: keyId })),
    ).rejects.toBeInstanceOf(InvalidAliasNameException);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: "alias/does-not-exist" }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    const missing = await kms
      .send(new DescribeKeyCommand({ KeyId: "11111111-2222-3333-4444-555555555555" }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundException);
    expect((missing as NotFoundException).$metadata.httpStatusCode).toBe(400);
    expect((missing as NotFoundException).$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects key specs the emulator does not implement", async () => {
    const error = await kms
      .send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))
      .catch((e: unknown) => e);
    expect((error as KMSServiceException).name).toBe("UnsupportedOperationException");
    const invalid = await kms
      .send(new CreateKeyCommand({ KeySpec: "RSA_1024" as never, KeyUsage: "SIGN_VERIFY" }))
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(KMSServiceException);
    expect((invalid as KMSServiceException).name).toBe("ValidationException");
  });
});

describe("GetPublicKey, Sign, Verify", () => {
  it("returns the DER SubjectPublicKeyInfo and the key's algorithms", async () => {
    const response = await kms.send(new GetPublicKeyCommand({ KeyId: "alias/repogate-test" }));
    expect(response.KeyId).toBe(keyArn);
    expect(response.KeySpec).toBe("RSA_2048");
    expect(response.KeyUsage).toBe("SIGN_VERIFY");
    expect(response.SigningAlgorithms).toContain("RSASSA_PKCS1_V1_5_SHA_256");
    const key = createPublicKey({
      key: Buffer.from(response.PublicKey as Uint8Array),
      format: "der",
      type: "spki",
    });
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  const algorithms: [SigningAlgorithmSpec, string, boolean][] = [
    ["RSASSA_PKCS1_V1_5_SHA_256", "sha256", false],
    ["RSASSA_PKCS1_V1_5_SHA_384", "sha384", false],
    ["RSASSA_PKCS1_V1_5_SHA_512", "sha512", false],
    ["RSASSA_PSS_SHA_256", "sha256", true],
    ["RSASSA_PSS_SHA_384", "sha384", true],
    ["RSASSA_PSS_SHA_512", "sha512", true],
  ];

  it.each(algorithms)(
    "signs RAW and DIGEST messages with %s, verifiable with node:crypto",
    async (alg, hash, pss) => {
      const publicKey = await publicKeyOf(keyId);
      const message = Buffer.from(`header.payload for ${alg}`);
      const digest = createHash(hash).update(message).digest();
      const verifyKey = pss
        ? { key: publicKey, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length }
        : publicKey;
      for (const [messageType, body] of [
        ["RAW", message],
        ["DIGEST", digest],
      ] as const) {
        const signed = await kms.send(
          new SignCommand({ KeyId: keyId, Message: body, MessageType: messageType, SigningAlgorithm: alg }),
        );
        expect(signed.KeyId).toBe(keyArn);
        expect(signed.SigningAlgorithm).toBe(alg);
        const signature = Buffer.from(signed.Signature as Uint8Array);
        expect(signature.length).toBe(256);
        expect(verify(hash, message, verifyKey, signature)).toBe(true);
        expect(verify(hash, Buffer.from("tampered"), verifyKey, signature)).toBe(false);
        const verified = await kms.send(
          new VerifyCommand({
            KeyId: keyId,
            Message: body,
            MessageType: messageType,
            SigningAlgorithm: alg,
            Signature: signature,
          }),
        );
        expect(verified.SignatureValid).toBe(true);
      }
    },
  );

  it("rejects a bad signature with KMSInvalidSignatureException", async () => {
    await expect(
      kms.send(
        new VerifyCommand({
          KeyId: keyId,
          Message: Buffer.from("x"),
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
          Signature: Buffer.alloc(256, 7),
        }),
      ),
    ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
  });

  it("enforces the 4096-byte message limit and the digest length", async () => {
    const ok = await kms.send(
      new SignCommand({
        KeyId: keyId,
        Message: Buffer.alloc(4096, 1),
        SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
      }),
    );
    expect(ok.Signature?.length).toBe(256);
    const tooLong = await kms
      .send(
        new SignCommand({
          KeyId: keyId,
          Message: Buffer.alloc(4097, 1),
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
        }),
      )
      .catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(KMSServiceException);
    expect((tooLong as KMSServiceException).name).toBe("ValidationException");
    expect((tooLong as KMSServiceException).message).toContain("4096");
    const badDigest = await kms
      .send(
        new SignCommand({
          KeyId: keyId,
          Message: Buffer.alloc(48, 1),
          MessageType: "DIGEST",
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
        }),
      )
      .catch((e: unknown) => e);
    expect((badDigest as KMSServiceException).name).toBe("ValidationException");
  });
});

describe("persistence", () => {
  it("keeps keys, aliases and private key material across a restart, in a 0600 state file", async () => {
    const before = await publicKeyOf("alias/repogate-test");
    await fixture.restart();
    const after = await publicKeyOf("alias/repogate-test");
    expect(after.export({ type: "spki", format: "der" })).toEqual(
      before.export({ type: "spki", format: "der" }),
    );
    const message = Buffer.from("after restart");
    const signed = await kms.send(
      new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256" }),
    );
    expect(verify("sha256", message, after, Buffer.from(signed.Signature as Uint8Array))).toBe(true);
    const info = await stat(fixture.emulator.state.path);
    expect(info.mode & 0o777).toBe(0o600);
  });
});
