import {
  createHash,
  createPublicKey,
  constants as cryptoConstants,
  generateKeyPairSync,
  verify,
} from "node:crypto";
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  IncorrectKeyMaterialException,
  InvalidCiphertextException,
  InvalidImportTokenException,
  type KMSClient,
  KMSInvalidStateException,
  type KMSServiceException,
  SignCommand,
} from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importRsaKeyIntoKms, wrapKeyMaterialRsaAes } from "../../wrangler-free-local/aws/kms/import-key.ts";
import { type EmulatorFixture, kmsClient, startFixture } from "./fixture.ts";

let fixture: EmulatorFixture;
let kms: KMSClient;
let keyId: string;

beforeAll(async () => {
  fixture = await startFixture();
  kms = kmsClient(fixture.emulator);
  const created = await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }));
  keyId = created.KeyMetadata?.KeyId as string;
});

afterAll(async () => {
  kms?.destroy();
  await fixture?.stop();
});

async function publicKeyOf(id: string) {
  const response = await kms.send(new GetPublicKeyCommand({ KeyId: id }));
  return createPublicKey({ key: Buffer.from(response.PublicKey as Uint8Array), format: "der", type: "spki" });
}

describe("EXTERNAL keys and ImportKeyMaterial", () => {
  async function externalKey(spec: "RSA_2048" | "RSA_3072" = "RSA_2048"): Promise<string> {
    const created = await kms.send(
      new CreateKeyCommand({ KeySpec: spec, KeyUsage: "SIGN_VERIFY", Origin: "EXTERNAL" }),
    );
    return created.KeyMetadata?.KeyId as string;
  }

  async function importParameters(id: string, algorithm: "RSA_AES_KEY_WRAP_SHA_256" | "RSAES_OAEP_SHA_256") {
    const params = await kms.send(
      new GetParametersForImportCommand({
        KeyId: id,
        WrappingAlgorithm: algorithm,
        WrappingKeySpec: "RSA_4096",
      }),
    );
    return {
      token: params.ImportToken as Uint8Array,
      publicKey: params.PublicKey as Uint8Array,
      validTo: params.ParametersValidTo,
    };
  }

  it("starts in PendingImport, where Sign and GetPublicKey are refused", async () => {
    const id = await externalKey();
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: id }));
    expect(KeyMetadata).toMatchObject({ KeyState: "PendingImport", Enabled: false, Origin: "EXTERNAL" });
    await expect(
      kms.send(
        new SignCommand({
          KeyId: id,
          Message: Buffer.from("x"),
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
        }),
      ),
    ).rejects.toBeInstanceOf(KMSInvalidStateException);
    await expect(kms.send(new GetPublicKeyCommand({ KeyId: id }))).rejects.toBeInstanceOf(
      KMSInvalidStateException,
    );
  });

  it("imports an RSA private key wrapped as AWS documents, then signs a JWT that verifies with the original key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const id = await externalKey("RSA_2048");
    const params = await importParameters(id, "RSA_AES_KEY_WRAP_SHA_256");
    expect(Buffer.from(params.publicKey).length).toBeGreaterThan(500);
    expect((params.validTo as Date).getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
    const wrappingKey = createPublicKey({ key: Buffer.from(params.publicKey), format: "der", type: "spki" });
    expect(wrappingKey.asymmetricKeyDetails?.modulusLength).toBe(4096);

    // The documented client-side procedure, spelled out here rather than through the helper.
    const { createCipheriv, publicEncrypt, randomBytes } = await import("node:crypto");
    const aesKey = randomBytes(32);
    const kwp = createCipheriv("id-aes256-wrap-pad", aesKey, Buffer.from("A65959A6", "hex"));
    const material = privateKey.export({ type: "pkcs8", format: "der" });
    const wrapped = Buffer.concat([kwp.update(material), kwp.final()]);
    const encryptedAesKey = publicEncrypt(
      { key: wrappingKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      aesKey,
    );
    const imported = await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: id,
        ImportToken: params.token,
        EncryptedKeyMaterial: Buffer.concat([encryptedAesKey, wrapped]),
        ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
      }),
    );
    expect(imported.KeyId).toContain(id);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: id }));
    expect(KeyMetadata).toMatchObject({
      KeyState: "Enabled",
      Enabled: true,
      ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
    });

    const { jwtVerify } = await import("jose");
    const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const signingInput = `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url({ iat: now - 60, exp: now + 540, iss: "Iv1.test" })}`;
    const signed = await kms.send(
      new SignCommand({
        KeyId: id,
        Message: createHash("sha256").update(signingInput).digest(),
        MessageType: "DIGEST",
        SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
      }),
    );
    const jwt = `${signingInput}.${Buffer.from(signed.Signature as Uint8Array).toString("base64url")}`;
    const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ["RS256"] });
    expect(payload.iss).toBe("Iv1.test");
    const kmsPublic = await publicKeyOf(id);
    expect(kmsPublic.export({ type: "spki", format: "der" })).toEqual(
      publicKey.export({ type: "spki", format: "der" }),
    );
  });

  it("importRsaKeyIntoKms imports a PEM behind an alias, and KMS signs with exactly that key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }) as string;
    const imported = await importRsaKeyIntoKms(kms, pem, { alias: "alias/github-app" });
    expect(imported).toMatchObject({ keySpec: "RSA_2048", alias: "alias/github-app" });
    expect(imported.keyArn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${imported.keyId}`);
    const message = Buffer.from("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0");
    const signed = await kms.send(
      new SignCommand({
        KeyId: "alias/github-app",
        Message: message,
        SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
      }),
    );
    expect(verify("sha256", message, publicKey, Buffer.from(signed.Signature as Uint8Array))).toBe(true);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: "alias/github-app" }));
    expect(KeyMetadata).toMatchObject({ Origin: "EXTERNAL", KeyState: "Enabled", KeyUsage: "SIGN_VERIFY" });
  });

  it("refuses a token of another key, a key of the wrong size, RSAES_OAEP wrapping and garbage", async () => {
    const id = await externalKey("RSA_2048");
    const other = await externalKey("RSA_2048");
    const params = await importParameters(id, "RSA_AES_KEY_WRAP_SHA_256");
    const { privateKey: small } = generateKeyPairSync("rsa", { modulusLength: 3072 });
    const wrongSize = wrapKeyMaterialRsaAes(small.export({ type: "pkcs8", format: "der" }), params.publicKey);
    await expect(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: other,
          ImportToken: params.token,
          EncryptedKeyMaterial: wrongSize,
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidImportTokenException);
    await expect(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: id,
          ImportToken: params.token,
          EncryptedKeyMaterial: wrongSize,
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
      ),
    ).rejects.toBeInstanceOf(IncorrectKeyMaterialException);
    await expect(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: id,
          ImportToken: params.token,
          EncryptedKeyMaterial: Buffer.alloc(700, 3),
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
    const oaep = await importParameters(id, "RSAES_OAEP_SHA_256");
    const refused = await kms
      .send(
        new ImportKeyMaterialCommand({
          KeyId: id,
          ImportToken: oaep.token,
          EncryptedKeyMaterial: Buffer.alloc(512, 1),
          ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
      )
      .catch((e: unknown) => e);
    expect((refused as KMSServiceException).name).toBe("ValidationException");
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: id }));
    expect(KeyMetadata?.KeyState).toBe("PendingImport");
  });

  it("refuses GetParametersForImport on an AWS_KMS key", async () => {
    const error = await kms
      .send(
        new GetParametersForImportCommand({
          KeyId: keyId,
          WrappingAlgorithm: "RSA_AES_KEY_WRAP_SHA_256",
          WrappingKeySpec: "RSA_4096",
        }),
      )
      .catch((e: unknown) => e);
    expect((error as KMSServiceException).name).toBe("UnsupportedOperationException");
  });
});
