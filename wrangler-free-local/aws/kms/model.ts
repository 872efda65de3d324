import { randomUUID } from "node:crypto";
import type { OperationContext } from "../operation.ts";
import { AwsServiceError, epochSeconds } from "../protocol.ts";

export const RSA_KEY_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"] as const;
export type RsaKeySpec = (typeof RSA_KEY_SPECS)[number];

/** Every KeySpec the KMS API knows; the emulator implements the RSA ones. */
export const KEY_SPECS = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
  "ECC_NIST_EDWARDS25519",
  "SYMMETRIC_DEFAULT",
  "HMAC_224",
  "HMAC_256",
  "HMAC_384",
  "HMAC_512",
  "SM2",
  "ML_DSA_44",
  "ML_DSA_65",
  "ML_DSA_87",
] as const;

export const KEY_USAGES = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export const ORIGINS = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"] as const;
export type Origin = "AWS_KMS" | "EXTERNAL";

export const RSA_SIGNING_ALGORITHMS = [
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
] as const;
export type RsaSigningAlgorithm = (typeof RSA_SIGNING_ALGORITHMS)[number];

/** The SigningAlgorithmSpec enum as the API validates it (ECDSA, SM2 and ML-DSA are not implemented here). */
export const SIGNING_ALGORITHMS = [
  ...RSA_SIGNING_ALGORITHMS,
  "ECDSA_SHA_256",
  "ECDSA_SHA_384",
  "ECDSA_SHA_512",
  "SM2DSA",
  "ML_DSA_SHAKE_256",
  "ED25519_SHA_512",
  "ED25519_PH_SHA_512",
] as const;

export const RSA_ENCRYPTION_ALGORITHMS = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] as const;

export type KeyState = "Enabled" | "Disabled" | "PendingImport" | "PendingDeletion";
export type ExpirationModel = "KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE";

/** A KMS key as stored, with its private key (PKCS#8 PEM) once it has material. */
export interface StoredKey {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt: number;
  description: string;
  keySpec: RsaKeySpec;
  keyUsage: KeyUsage;
  origin: Origin;
  enabled: boolean;
  keyState: KeyState;
  privateKeyPem?: string;
  /** DER SubjectPublicKeyInfo, base64. */
  publicKeyDer?: string;
  keyMaterialId?: string;
  expirationModel?: ExpirationModel;
  validTo?: number;
  /** Set by ScheduleKeyDeletion: when the key goes away. */
  deletionDate?: number;
  pendingWindowInDays?: number;
}

export interface StoredAlias {
  aliasName: string;
  aliasArn: string;
  targetKeyId: string;
  createdAt: number;
}

/** A wrapping key and import token handed out by GetParametersForImport, valid 24 hours. */
export interface ImportParameters {
  keyId: string;
  wrappingAlgorithm: string;
  wrappingKeySpec: RsaKeySpec;
  wrappingPrivateKeyPem: string;
  validTo: number;
}

export interface KmsState {
  keys: Record<string, StoredKey>;
  aliases: Record<string, StoredAlias>;
  /** By base64 import token. */
  importParameters: Record<string, ImportParameters>;
}

export function rsaBits(spec: RsaKeySpec): number {
  return Number(spec.slice(4));
}

export function newKeyId(): string {
  return randomUUID();
}

export function keyArn(context: Pick<OperationContext, "region" | "accountId">, keyId: string): string {
  return `arn:aws:kms:${context.region}:${context.accountId}:key/${keyId}`;
}

export function aliasArn(context: Pick<OperationContext, "region" | "accountId">, aliasName: string): string {
  return `arn:aws:kms:${context.region}:${context.accountId}:${aliasName}`;
}

const KEY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN_PATTERN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;

/** Imported material past its ValidTo is deleted by KMS and the key goes back to PendingImport. */
export function expireMaterial(key: StoredKey, now: number): boolean {
  if (key.validTo === undefined || key.validTo > now || key.keyState === "PendingImport") return false;
  key.keyState = "PendingImport";
  key.enabled = false;
  delete key.privateKeyPem;
  delete key.validTo;
  return true;
}

/**
 * Finds the key a KeyId parameter names: a key id, key ARN, alias name (`alias/x`) or alias ARN, in the caller's
 * account and region, as KMS does.
 */
export function resolveKey(context: OperationContext, keyIdParam: string, allowAlias = true): StoredKey {
  const kms = context.store.state.kms;
  let keyId: string | undefined;
  const aliasArnMatch = ALIAS_ARN_PATTERN.exec(keyIdParam);
  const keyArnMatch = KEY_ARN_PATTERN.exec(keyIdParam);
  if (keyIdParam.startsWith("alias/") || aliasArnMatch) {
    const aliasName = aliasArnMatch ? (aliasArnMatch[3] as string) : keyIdParam;
    const alias = kms.aliases[aliasName];
    const sameScope =
      !aliasArnMatch || (aliasArnMatch[1] === context.region && aliasArnMatch[2] === context.accountId);
    if (!allowAlias || !alias || !sameScope) {
      throw new AwsServiceError("NotFoundException", `Alias ${aliasArn(context, aliasName)} is not found.`);
    }
    keyId = alias.targetKeyId;
  } else if (keyArnMatch) {
    if (keyArnMatch[1] !== context.region || keyArnMatch[2] !== context.accountId) {
      throw new AwsServiceError("NotFoundException", `Key '${keyIdParam}' does not exist`);
    }
    keyId = keyArnMatch[3];
  } else if (KEY_ID_PATTERN.test(keyIdParam)) {
    keyId = keyIdParam.toLowerCase();
  } else {
    throw new AwsServiceError("NotFoundException", `Invalid keyId '${keyIdParam}'`);
  }
  const key = keyId === undefined ? undefined : kms.keys[keyId];
  if (!key || key.region !== context.region || key.accountId !== context.accountId) {
    throw new AwsServiceError(
      "NotFoundException",
      `Key '${keyArn(context, keyId ?? keyIdParam)}' does not exist`,
    );
  }
  if (expireMaterial(key, context.now())) context.changed();
  return key;
}

/** The KeyMetadata structure of DescribeKey and CreateKey. */
export function keyMetadata(key: StoredKey): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    AWSAccountId: key.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: epochSeconds(key.createdAt),
    Enabled: key.enabled,
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.keyState,
    Origin: key.origin,
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    MultiRegion: false,
  };
  if (key.keyUsage === "SIGN_VERIFY") metadata.SigningAlgorithms = [...RSA_SIGNING_ALGORITHMS];
  else metadata.EncryptionAlgorithms = [...RSA_ENCRYPTION_ALGORITHMS];
  if (key.origin === "EXTERNAL" && key.expirationModel) metadata.ExpirationModel = key.expirationModel;
  if (key.validTo !== undefined) metadata.ValidTo = epochSeconds(key.validTo);
  if (key.keyMaterialId) metadata.CurrentKeyMaterialId = key.keyMaterialId;
  if (key.deletionDate !== undefined) {
    metadata.DeletionDate = epochSeconds(key.deletionDate);
    metadata.PendingDeletionWindowInDays = key.pendingWindowInDays;
  }
  return metadata;
}

/** KMS refuses cryptographic operations on keys that are not Enabled, with the error each state calls for. */
export function assertUsable(key: StoredKey): void {
  if (key.keyState === "PendingDeletion") {
    throw new AwsServiceError("KMSInvalidStateException", `${key.arn} is pending deletion.`);
  }
  if (key.keyState === "PendingImport") {
    throw new AwsServiceError("KMSInvalidStateException", `${key.arn} is pending import.`);
  }
  if (key.keyState === "Disabled" || !key.enabled) {
    throw new AwsServiceError("DisabledException", `${key.arn} is disabled.`);
  }
}
