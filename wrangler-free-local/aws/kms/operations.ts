import { createPublicKey } from "node:crypto";
import type { RequestInput } from "../input.ts";
import type { OperationContext, OperationHandler } from "../operation.ts";
import { AwsServiceError } from "../protocol.ts";
import { getParametersForImport, importKeyMaterial } from "./import-material.ts";
import { cancelKeyDeletion, listAliases, scheduleKeyDeletion, updateAlias } from "./key-lifecycle.ts";
import { generateRsaPrivateKeyPem, keyMaterialId, privateKeyObject, publicKeyDerBase64 } from "./keys.ts";
import {
  aliasArn,
  assertUsable,
  KEY_SPECS,
  KEY_USAGES,
  keyArn,
  keyMetadata,
  newKeyId,
  ORIGINS,
  RSA_KEY_SPECS,
  RSA_SIGNING_ALGORITHMS,
  type RsaKeySpec,
  type RsaSigningAlgorithm,
  resolveKey,
  SIGNING_ALGORITHMS,
  type StoredKey,
} from "./model.ts";
import { algorithmHash, messageDigest, signDigest, verifyDigest } from "./signing.ts";

const KEY_ID_RULE = { min: 1, max: 2048 };
const MESSAGE_TYPES = ["RAW", "DIGEST", "EXTERNAL_MU"] as const;

async function createKey(input: RequestInput, context: OperationContext): Promise<unknown> {
  const description = input.optionalString("Description", { max: 8192 }) ?? "";
  const keySpec =
    input.optionalEnum("KeySpec", KEY_SPECS) ?? input.optionalEnum("CustomerMasterKeySpec", KEY_SPECS);
  const keyUsage = input.optionalEnum("KeyUsage", KEY_USAGES) ?? "ENCRYPT_DECRYPT";
  const origin = input.optionalEnum("Origin", ORIGINS) ?? "AWS_KMS";
  const spec = keySpec ?? "SYMMETRIC_DEFAULT";
  if (!(RSA_KEY_SPECS as readonly string[]).includes(spec)) {
    throw new AwsServiceError(
      "UnsupportedOperationException",
      `KeySpec ${spec} is not supported by this emulator; use RSA_2048, RSA_3072 or RSA_4096.`,
    );
  }
  if (keyUsage !== "SIGN_VERIFY" && keyUsage !== "ENCRYPT_DECRYPT") {
    throw new AwsServiceError(
      "ValidationException",
      `KeyUsage ${keyUsage} is not compatible with KeySpec ${spec}.`,
    );
  }
  if (origin !== "AWS_KMS" && origin !== "EXTERNAL") {
    throw new AwsServiceError(
      "UnsupportedOperationException",
      `Origin ${origin} is not supported by this emulator; use AWS_KMS or EXTERNAL.`,
    );
  }
  const keyId = newKeyId();
  const key: StoredKey = {
    keyId,
    arn: keyArn(context, keyId),
    accountId: context.accountId,
    region: context.region,
    createdAt: context.now(),
    description,
    keySpec: spec as RsaKeySpec,
    keyUsage,
    origin,
    enabled: origin === "AWS_KMS",
    keyState: origin === "AWS_KMS" ? "Enabled" : "PendingImport",
  };
  if (origin === "AWS_KMS") {
    key.privateKeyPem = await generateRsaPrivateKeyPem(key.keySpec);
    key.publicKeyDer = publicKeyDerBase64(key.privateKeyPem);
    key.keyMaterialId = keyMaterialId(key.publicKeyDer);
  }
  context.store.state.kms.keys[keyId] = key;
  context.changed();
  return { KeyMetadata: keyMetadata(key) };
}

const ALIAS_PATTERN = /^[a-zA-Z0-9:/_-]+$/;

function createAlias(input: RequestInput, context: OperationContext): undefined {
  const aliasName = input.string("AliasName", { min: 1, max: 256, pattern: ALIAS_PATTERN });
  const target = input.string("TargetKeyId", KEY_ID_RULE);
  if (!aliasName.startsWith("alias/") || aliasName === "alias/") {
    throw new AwsServiceError("InvalidAliasNameException", 'Alias must start with the prefix "alias/".');
  }
  if (aliasName.startsWith("alias/aws/")) {
    throw new AwsServiceError(
      "InvalidAliasNameException",
      "Alias names that begin with alias/aws/ are reserved for AWS managed keys.",
    );
  }
  if (target.startsWith("alias/") || target.includes(":alias/")) {
    throw new AwsServiceError("ValidationException", "Aliases must refer to keys. Not aliases");
  }
  const kms = context.store.state.kms;
  if (kms.aliases[aliasName]) {
    throw new AwsServiceError(
      "AlreadyExistsException",
      `An alias with the name ${aliasArn(context, aliasName)} already exists`,
    );
  }
  const key = resolveKey(context, target, false);
  kms.aliases[aliasName] = {
    aliasName,
    aliasArn: aliasArn(context, aliasName),
    targetKeyId: key.keyId,
    createdAt: context.now(),
  };
  context.changed();
  return undefined;
}

function describeKey(input: RequestInput, context: OperationContext): unknown {
  const key = resolveKey(context, input.string("KeyId", KEY_ID_RULE));
  return { KeyMetadata: keyMetadata(key) };
}

function getPublicKey(input: RequestInput, context: OperationContext): unknown {
  const key = resolveKey(context, input.string("KeyId", KEY_ID_RULE));
  assertUsable(key);
  return {
    KeyId: key.arn,
    PublicKey: key.publicKeyDer,
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    ...(key.keyUsage === "SIGN_VERIFY"
      ? { SigningAlgorithms: [...RSA_SIGNING_ALGORITHMS] }
      : { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] }),
  };
}

/** Reads and checks what Sign and Verify share: key, algorithm, message and message type. */
function signingRequest(input: RequestInput, context: OperationContext) {
  const keyIdParam = input.string("KeyId", KEY_ID_RULE);
  const message = input.blob("Message", { min: 1, max: 4096 });
  const messageType = input.optionalEnum("MessageType", MESSAGE_TYPES) ?? "RAW";
  const algorithm = input.enumValue("SigningAlgorithm", SIGNING_ALGORITHMS);
  const key = resolveKey(context, keyIdParam);
  assertUsable(key);
  if (key.keyUsage !== "SIGN_VERIFY") {
    throw new AwsServiceError(
      "InvalidKeyUsageException",
      `${key.arn} key usage is ${key.keyUsage} which is not valid for signing.`,
    );
  }
  if (!(RSA_SIGNING_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new AwsServiceError(
      "InvalidKeyUsageException",
      `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`,
    );
  }
  const rsaAlgorithm = algorithm as RsaSigningAlgorithm;
  if (messageType === "EXTERNAL_MU") {
    throw new AwsServiceError(
      "InvalidKeyUsageException",
      `Message type EXTERNAL_MU is incompatible with key spec ${key.keySpec}.`,
    );
  }
  if (messageType === "DIGEST" && message.length !== algorithmHash(rsaAlgorithm).digestLength) {
    throw new AwsServiceError("ValidationException", `Digest is invalid length for algorithm ${algorithm}.`);
  }
  return { key, algorithm: rsaAlgorithm, digest: messageDigest(rsaAlgorithm, message, messageType) };
}

function sign(input: RequestInput, context: OperationContext): unknown {
  const { key, algorithm, digest } = signingRequest(input, context);
  if (input.optionalBoolean("DryRun")) {
    throw new AwsServiceError(
      "DryRunOperationException",
      "The request would have succeeded, but the DryRun option is set.",
    );
  }
  const signature = signDigest(privateKeyObject(key.privateKeyPem as string), algorithm, digest);
  return { KeyId: key.arn, Signature: signature.toString("base64"), SigningAlgorithm: algorithm };
}

function verify(input: RequestInput, context: OperationContext): unknown {
  const { key, algorithm, digest } = signingRequest(input, context);
  const signature = input.blob("Signature", { min: 1, max: 6144 });
  const publicKey = createPublicKey({
    key: Buffer.from(key.publicKeyDer as string, "base64"),
    format: "der",
    type: "spki",
  });
  if (!verifyDigest(publicKey, algorithm, digest, signature)) {
    throw new AwsServiceError("KMSInvalidSignatureException", "");
  }
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: algorithm };
}

export const kmsOperations: Record<string, OperationHandler> = {
  CreateKey: createKey,
  CreateAlias: createAlias,
  DescribeKey: describeKey,
  GetPublicKey: getPublicKey,
  Sign: sign,
  Verify: verify,
  GetParametersForImport: getParametersForImport,
  ImportKeyMaterial: importKeyMaterial,
  UpdateAlias: updateAlias,
  ListAliases: listAliases,
  ScheduleKeyDeletion: scheduleKeyDeletion,
  CancelKeyDeletion: cancelKeyDeletion,
};
