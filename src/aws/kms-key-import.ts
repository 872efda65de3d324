/**
 * Imports a GitHub App private key into an AWS KMS signing key without the key ever being written to disk or sent
 * unwrapped: PKCS#1 → PKCS#8 DER in memory, wrapped with RSA_AES_KEY_WRAP_SHA_256 under the wrapping key from
 * GetParametersForImport, then ImportKeyMaterial (KEY_MATERIAL_DOES_NOT_EXPIRE). Every refusal becomes a
 * KmsKeyImportError with a stable code and a message that says what to do.
 */
import {
  constants,
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  type KeyMetadata,
  type KMSClient,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";

/** The subset of KMSClient the import uses. */
export type KmsImportClient = Pick<KMSClient, "send">;

export type KmsKeyImportErrorCode =
  | "KMS_KEY_NOT_FOUND"
  | "KMS_KEY_NOT_EXTERNAL"
  | "KMS_KEY_WRONG_SPEC"
  | "KMS_KEY_NOT_PENDING_IMPORT"
  | "KMS_ACCESS_DENIED"
  | "KMS_IMPORT_FAILED"
  | "APP_KEY_UNSUPPORTED";

/** KMS refused a step of the import, or the key cannot hold the App key; the message says what to do. */
export class KmsKeyImportError extends Error {
  readonly code: KmsKeyImportErrorCode;
  constructor(code: KmsKeyImportErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KmsKeyImportError";
    this.code = code;
  }

  /** Never the cause chain across a log boundary (it may hold request objects). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

type RsaKeySpec = "RSA_2048" | "RSA_3072" | "RSA_4096";

/** RFC 5649 alternative initial value, as AWS documents for RSA_AES_KEY_WRAP. */
const KWP_IV = Buffer.from("A65959A6", "hex");

const IMPORT_PERMISSIONS =
  "kms:DescribeKey, kms:GetParametersForImport and kms:ImportKeyMaterial on the key (plus kms:CreateKey and " +
  "kms:CreateAlias/kms:UpdateAlias when the command creates the key or moves the alias)";

/** Maps an AWS SDK error of one KMS operation to a KmsKeyImportError naming the fix. */
export function kmsImportFailure(operation: string, keyId: string, error: unknown): KmsKeyImportError {
  if (error instanceof KmsKeyImportError) return error;
  const name = (error as { name?: string })?.name ?? "UnknownError";
  if (name === "NotFoundException") {
    return new KmsKeyImportError(
      "KMS_KEY_NOT_FOUND",
      `KMS key ${keyId} does not exist in this account and region (${operation}): check --kms-key and the AWS ` +
        "region, or let the command create one with --create-key.",
    );
  }
  if (name === "AccessDeniedException" || name === "AccessDenied" || name === "UnrecognizedClientException") {
    return new KmsKeyImportError(
      "KMS_ACCESS_DENIED",
      `AWS denied ${operation} on KMS key ${keyId} (${name}): run the command with credentials allowed ${IMPORT_PERMISSIONS}.`,
    );
  }
  if (name === "IncorrectKeyMaterialException") {
    return new KmsKeyImportError(
      "KMS_KEY_NOT_PENDING_IMPORT",
      `KMS key ${keyId} already holds other key material, and a KMS key can only ever hold the first key imported ` +
        "into it: use a new key (rerun with --create-key, or create another EXTERNAL RSA key).",
    );
  }
  return new KmsKeyImportError("KMS_IMPORT_FAILED", `KMS ${operation} failed for key ${keyId} (${name}).`);
}

/** The RSA private key in a PEM (PKCS#1 as GitHub hands it out, or PKCS#8), checked to be a size KMS can hold. */
export function parseAppPrivateKey(pem: string): { key: KeyObject; keySpec: RsaKeySpec } {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new KmsKeyImportError(
      "APP_KEY_UNSUPPORTED",
      "the App private key is not a readable PEM private key: use the .pem file GitHub downloaded, unchanged.",
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== "rsa" || (bits !== 2048 && bits !== 3072 && bits !== 4096)) {
    throw new KmsKeyImportError(
      "APP_KEY_UNSUPPORTED",
      "the App private key is not an RSA 2048, 3072 or 4096-bit key, which is all KMS signing keys can hold.",
    );
  }
  return { key, keySpec: `RSA_${bits}` };
}

/**
 * Wraps key material as AWS documents for RSA_AES_KEY_WRAP_SHA_256: a fresh AES-256 key wraps it with AES key wrap
 * with padding (RFC 5649), RSA-OAEP (SHA-256) encrypts the AES key under the wrapping public key, concatenated.
 */
export function wrapKeyMaterial(material: Buffer, wrappingPublicKeyDer: Uint8Array): Buffer {
  const aesKey = randomBytes(32);
  try {
    const cipher = createCipheriv("id-aes256-wrap-pad", aesKey, KWP_IV);
    const wrapped = Buffer.concat([cipher.update(material), cipher.final()]);
    const encryptedAesKey = publicEncrypt(
      {
        key: createPublicKey({ key: Buffer.from(wrappingPublicKeyDer), format: "der", type: "spki" }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: "sha256",
      },
      aesKey,
    );
    return Buffer.concat([encryptedAesKey, wrapped]);
  } finally {
    aesKey.fill(0);
  }
}

/** Reads the key and checks it can take the App key: EXTERNAL, SIGN_VERIFY, the same RSA size, PendingImport. */
export async function checkImportTarget(
  kms: KmsImportClient,
  keyId: string,
  keySpec: RsaKeySpec,
): Promise<KeyMetadata> {
  let metadata: KeyMetadata | undefined;
  try {
    metadata = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (error) {
    throw kmsImportFailure("DescribeKey", keyId, error);
  }
  if (!metadata?.KeyId)
    throw new KmsKeyImportError("KMS_KEY_NOT_FOUND", `DescribeKey returned nothing for ${keyId}.`);
  if (metadata.Origin !== "EXTERNAL") {
    throw new KmsKeyImportError(
      "KMS_KEY_NOT_EXTERNAL",
      `KMS key ${keyId} was created with origin ${metadata.Origin}, so no key can be imported into it: use a key ` +
        "created with origin EXTERNAL (the CDK app's App key, or --create-key).",
    );
  }
  if (metadata.KeyUsage !== "SIGN_VERIFY" || metadata.KeySpec !== keySpec) {
    throw new KmsKeyImportError(
      "KMS_KEY_WRONG_SPEC",
      `KMS key ${keyId} is ${metadata.KeySpec} for ${metadata.KeyUsage}, but the App key needs ${keySpec} for ` +
        "SIGN_VERIFY: create the key with that spec and usage (or use --create-key).",
    );
  }
  if (metadata.KeyState !== "PendingImport") {
    throw new KmsKeyImportError(
      "KMS_KEY_NOT_PENDING_IMPORT",
      `KMS key ${keyId} is ${metadata.KeyState}, not PendingImport: it already holds key material (a KMS key keeps ` +
        "the first key imported into it for ever) or is being deleted. Use a new EXTERNAL key: rerun with " +
        "--create-key, or create one and pass it with --kms-key.",
    );
  }
  return metadata;
}

/** Creates an EXTERNAL RSA signing key waiting for its material (what the CDK app declares). */
export async function createExternalSigningKey(
  kms: KmsImportClient,
  keySpec: RsaKeySpec,
  description: string,
): Promise<KeyMetadata> {
  try {
    const created = await kms.send(
      new CreateKeyCommand({
        KeySpec: keySpec,
        KeyUsage: "SIGN_VERIFY",
        Origin: "EXTERNAL",
        Description: description,
      }),
    );
    if (!created.KeyMetadata?.KeyId) throw new Error("CreateKey returned no KeyMetadata");
    return created.KeyMetadata;
  } catch (error) {
    throw kmsImportFailure("CreateKey", "(new key)", error);
  }
}

/** Wraps and imports the private key into a PendingImport key; the PKCS#8 bytes are zeroed afterwards. */
export async function importPrivateKey(
  kms: KmsImportClient,
  keyId: string,
  privateKey: KeyObject,
): Promise<void> {
  let parameters: { PublicKey?: Uint8Array | undefined; ImportToken?: Uint8Array | undefined };
  try {
    parameters = await kms.send(
      new GetParametersForImportCommand({
        KeyId: keyId,
        WrappingAlgorithm: "RSA_AES_KEY_WRAP_SHA_256",
        WrappingKeySpec: "RSA_4096",
      }),
    );
  } catch (error) {
    throw kmsImportFailure("GetParametersForImport", keyId, error);
  }
  if (!parameters.PublicKey || !parameters.ImportToken) {
    throw new KmsKeyImportError(
      "KMS_IMPORT_FAILED",
      "GetParametersForImport returned no wrapping key or import token.",
    );
  }
  const material = privateKey.export({ type: "pkcs8", format: "der" }) as Buffer;
  let encrypted: Buffer;
  try {
    encrypted = wrapKeyMaterial(material, parameters.PublicKey);
  } finally {
    material.fill(0);
  }
  try {
    await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: parameters.ImportToken,
        EncryptedKeyMaterial: encrypted,
        ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
      }),
    );
  } catch (error) {
    throw kmsImportFailure("ImportKeyMaterial", keyId, error);
  }
}

/** Points an alias at a key: CreateAlias, or UpdateAlias when it exists already (reruns, rotations). */
export async function pointAlias(kms: KmsImportClient, alias: string, keyId: string): Promise<void> {
  try {
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    return;
  } catch (error) {
    if ((error as { name?: string })?.name !== "AlreadyExistsException") {
      throw kmsImportFailure("CreateAlias", keyId, error);
    }
  }
  try {
    await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  } catch (error) {
    throw kmsImportFailure("UpdateAlias", keyId, error);
  }
}

/** The key an alias points at now (undefined when the alias does not exist). */
export async function aliasTarget(kms: KmsImportClient, alias: string): Promise<KeyMetadata | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
  } catch (error) {
    if ((error as { name?: string })?.name === "NotFoundException") return undefined;
    throw kmsImportFailure("DescribeKey", alias, error);
  }
}

/** Schedules a retired key's deletion after `pendingWindowInDays` (7–30); returns the deletion date. */
export async function scheduleKeyDeletion(
  kms: KmsImportClient,
  keyId: string,
  pendingWindowInDays: number,
): Promise<Date | undefined> {
  try {
    const out = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }),
    );
    return out.DeletionDate;
  } catch (error) {
    throw kmsImportFailure("ScheduleKeyDeletion", keyId, error);
  }
}
